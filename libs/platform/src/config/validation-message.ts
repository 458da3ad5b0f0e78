/** "PORT must be an integer" → "must be an integer"; "property x should not exist" → "should not exist". */
export function withoutSubject(message: string, property: string): string {
  for (const prefix of [`${property} `, `property ${property} `]) {
    if (message.startsWith(prefix)) return message.slice(prefix.length);
  }
  return message;
}
