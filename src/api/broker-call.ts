import { BrokerUnavailableError } from '../broker/broker';
import { unavailable } from '../errors';

/** Runs a broker operation, turning "broker down" into the UNAVAILABLE refusal the contract promises. */
export async function brokered<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof BrokerUnavailableError) throw unavailable();
    throw error;
  }
}
