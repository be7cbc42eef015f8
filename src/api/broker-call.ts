import { BrokerUnavailableError, PeerRemovedError, RoomFullError, SessionSupersededError } from '../broker/broker';
import { refusal, unavailable } from '../errors';
import { ErrorCode } from '../protocol';

/**
 * Runs a broker operation, turning "broker down" into the UNAVAILABLE refusal the contract promises,
 * "a newer session holds this peer id" and "removed by the backend" into FORBIDDEN, and a full room
 * into ROOM_FULL.
 */
export async function brokered<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof BrokerUnavailableError) throw unavailable();
    if (error instanceof RoomFullError) throw refusal(ErrorCode.RoomFull, error.message);
    if (error instanceof PeerRemovedError) {
      throw refusal(ErrorCode.Forbidden, 'the backend removed this session from the room: it cannot join again; get a new session');
    }
    if (error instanceof SessionSupersededError) {
      throw refusal(ErrorCode.Forbidden, 'a newer session holds this peer id: this token is no longer valid for it; create a new session');
    }
    throw error;
  }
}
