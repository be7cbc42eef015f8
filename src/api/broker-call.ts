import { BrokerUnavailableError, RoomFullError, SessionSupersededError } from '../broker/broker';
import { refusal, unavailable } from '../errors';
import { ErrorCode } from '../protocol';

/**
 * Runs a broker operation, turning "broker down" into the UNAVAILABLE refusal the contract promises,
 * "a newer session holds this peer id" into FORBIDDEN, and a full room into ROOM_FULL.
 */
export async function brokered<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof BrokerUnavailableError) throw unavailable();
    if (error instanceof RoomFullError) throw refusal(ErrorCode.RoomFull, error.message);
    if (error instanceof SessionSupersededError) {
      throw refusal(ErrorCode.Forbidden, 'a newer session holds this peer id: this token is no longer valid for it; create a new session');
    }
    throw error;
  }
}
