import { CONNECTION_TRANSITIONS, ConnectionStateMachine, InvalidTransitionError, isLegalTransition, type ConnectionState, type Transition } from '@switchboard/client';
import { pathBetween } from '../client/state';
import { MAIN_LINE } from './helpers/sdk';

describe('the connection state machine', () => {
  test('the main line and its way back are legal moves', () => {
    const machine = new ConnectionStateMachine('disconnected');
    for (const state of MAIN_LINE.slice(1)) expect(machine.walkTo(state)).toBe(true);
    expect(machine.transition('p2p-connected', 'disconnected')).toBe(true);
    expect(machine.history).toEqual([...MAIN_LINE, 'disconnected']);
  });

  test('an illegal move does not type-check, and throws when forced around the types', () => {
    const machine = new ConnectionStateMachine('disconnected');
    // @ts-expect-error disconnected cannot jump to p2p-connected
    expect(() => machine.transition('disconnected', 'p2p-connected')).toThrow(InvalidTransitionError);
    // @ts-expect-error a Transition value cannot name an illegal move either
    const forged: Transition = { from: 'disconnected', to: 'p2p-connected' };
    expect(() => machine.apply(forged)).toThrow(InvalidTransitionError);
    expect(machine.state).toBe('disconnected');
  });

  test('a move from a state the machine has left changes nothing', () => {
    const machine = new ConnectionStateMachine('disconnected');
    machine.transition('disconnected', 'connecting');
    expect(machine.transition('disconnected', 'connecting')).toBe(false);
    expect(machine.history).toEqual(['disconnected', 'connecting']);
  });

  test('every state can reach disconnected, and every listed move is legal', () => {
    const states = Object.keys(CONNECTION_TRANSITIONS) as ConnectionState[];
    for (const from of states) {
      expect(pathBetween(from, 'disconnected')).not.toBeNull();
      for (const to of CONNECTION_TRANSITIONS[from]) expect(isLegalTransition(from, to)).toBe(true);
    }
    expect(isLegalTransition('failed', 'p2p-connected')).toBe(false);
  });
});
