import { logLevel } from 'kafkajs';
import { kafkaLogLevel } from './kafka-client.js';

describe('kafkajs log levels', () => {
  it.each([
    '[Connection] Response GroupCoordinator(key: 10, version: 2) {"error":"The group coordinator is not available"}',
    '[Connection] Response Metadata(key: 3, version: 6) {"error":"There is no leader for this topic-partition as we are in the middle of a leadership election"}',
    '[Consumer] Crash: KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator {"retryCount":0}',
    '[Connection] Response JoinGroup(key: 11, version: 5) {"error":"The coordinator is loading and hence can\'t process requests"}',
    '[Connection] Response Produce(key: 0, version: 7) {"error":"This server is not the leader for that topic-partition"}',
    '[BrokerPool] Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092 {"retryCount":1}',
  ])('logs what a fresh broker answers for a moment as a warning: %s', (text) => {
    expect(kafkaLogLevel(logLevel.ERROR, text)).toBe('warn');
  });

  it('keeps other errors errors, warnings warnings, and drops the rest', () => {
    expect(kafkaLogLevel(logLevel.ERROR, '[Producer] Message too large {"error":"The request included a message larger than the max message size the server will accept"}')).toBe('error');
    expect(kafkaLogLevel(logLevel.ERROR, '[Connection] SASL authentication failed {"error":"Authentication failed"}')).toBe('error');
    expect(kafkaLogLevel(logLevel.WARN, 'anything')).toBe('warn');
    expect(kafkaLogLevel(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees {}')).toBe('debug');
    expect(kafkaLogLevel(logLevel.INFO, 'anything')).toBeNull();
  });
});
