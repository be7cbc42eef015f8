import type { RedisClient } from './redis-clients';

type Value = string | number;

/** What ioredis adds to a client for each `defineCommand` (EVAL once per socket, then EVALSHA). */
type DefinedCommands = Record<string, (...args: Value[]) => Promise<unknown>>;

/** A reply that is not the shape its script returns: a bug or a foreign script, never data to trust. */
export class ScriptReplyError extends Error {
  override name = 'ScriptReplyError';
}

export interface ScriptSpec<K extends string, A extends string, R, EK extends string = never, EA extends string = never> {
  /** KEYS in the order the Lua reads them (KEYS[1] first). */
  keys: readonly K[];
  /** ARGV in the order the Lua reads them. */
  args: readonly A[];
  /**
   * For a script that serves several items in one run: the keys and arguments of each item, after
   * the fixed ones (KEYS then holds `keys`, then `each.keys` for every item; ARGV likewise).
   */
  each?: { keys: readonly EK[]; args: readonly EA[] };
  lua: string;
  /** Turns the raw reply into the typed result; throws {@link ScriptReplyError} on any other shape. */
  decode: (reply: unknown) => R;
}

/** One item of a script run with `each`. */
export interface ScriptItem<EK extends string, EA extends string> {
  keys: Record<EK, string>;
  args: Record<EA, Value>;
}

/**
 * One Lua script with named keys and arguments: the one place their order is written down, so a
 * caller passes `{ roster, mailbox }` and can't swap two positions; and the one place the reply is
 * checked and decoded.
 */
export class LuaScript<K extends string, A extends string, R, EK extends string = never, EA extends string = never> {
  constructor(
    /** The client command name it is defined as. */
    readonly name: string,
    private readonly spec: ScriptSpec<K, A, R, EK, EA>,
  ) {}

  /** Makes the script callable on `client` (once per client); with `each`, the number of keys is passed per call. */
  define(client: RedisClient): void {
    client.defineCommand(this.name, this.spec.each ? { lua: this.spec.lua } : { numberOfKeys: this.spec.keys.length, lua: this.spec.lua });
  }

  async run(client: RedisClient, keys: Record<K, string>, args: Record<A, Value>, items: ReadonlyArray<ScriptItem<EK, EA>> = []): Promise<R> {
    const each = this.spec.each;
    const flatKeys: Value[] = this.spec.keys.map((k) => keys[k]);
    const flatArgs: Value[] = this.spec.args.map((a) => args[a]);
    if (each) {
      for (const item of items) for (const k of each.keys) flatKeys.push(item.keys[k]);
      for (const item of items) for (const a of each.args) flatArgs.push(item.args[a]);
    }
    const flat = each ? [flatKeys.length, ...flatKeys, ...flatArgs] : [...flatKeys, ...flatArgs];
    const command = (client as unknown as DefinedCommands)[this.name];
    if (!command) throw new ScriptReplyError(`script ${this.name} is not defined on this client`);
    return this.spec.decode(await command.apply(client, flat));
  }
}

/** Reply checks shared by the scripts' decoders. */
export const reply = {
  string(value: unknown, what: string): string {
    if (typeof value !== 'string') throw new ScriptReplyError(`${what}: expected a string, got ${typeof value}`);
    return value;
  },
  number(value: unknown, what: string): number {
    if (typeof value !== 'number') throw new ScriptReplyError(`${what}: expected an integer, got ${typeof value}`);
    return value;
  },
  strings(value: unknown, what: string): string[] {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ScriptReplyError(`${what}: expected a list of strings`);
    return value as string[];
  },
  array(value: unknown, what: string): unknown[] {
    if (!Array.isArray(value)) throw new ScriptReplyError(`${what}: expected a list`);
    return value as unknown[];
  },
  unexpected(value: unknown, what: string): never {
    throw new ScriptReplyError(`${what}: unexpected reply ${JSON.stringify(value)}`);
  },
};
