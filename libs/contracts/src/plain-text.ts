import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * Characters a name must not hold: C0 and C1 control characters (tabs and line breaks included) and the
 * Unicode bidirectional controls (LRM, RLM, ALM, the embeddings and overrides U+202A–U+202E, the isolates
 * U+2066–U+2069), with which a name can display as something else ("Trojan Source").
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

export function unsafeCharacterIn(value: string): string | undefined {
  const found = UNSAFE_TEXT.exec(value)?.[0];
  return found === undefined ? undefined : `U+${found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A string without control or bidirectional-override characters (each entry when `each`); the 400 names the character. */
export function IsPlainText(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPlainText',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || unsafeCharacterIn(value) === undefined,
        defaultMessage: (args) => `$property must not contain control or bidirectional-override characters (found ${unsafeCharacterIn(String(args?.value)) ?? 'one'})`,
      },
    });
  };
}
