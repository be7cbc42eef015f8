/**
 * Every code block in the README, checked as a newcomer would use it: TypeScript blocks type-checked
 * (as ES modules importing the packages by name), GraphQL blocks validated against the schema, shell
 * blocks parsed by bash, and the blocks marked `run` (```ts run, ```sh run) run as written against a
 * gateway — only `localhost:4000` is pointed at the test's port.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSchema, parse, validate } from 'graphql';
import { startGateway, type TestGateway } from './helpers/gateway';
import { dataFrom, weriftRoom, type WeriftRoom } from './helpers/room';
import { createSession } from './helpers/clients';
import { nextEvent } from './helpers/sdk';
import { ioPeer, type IoPeer } from './helpers/socket-io';
import { WeriftPeer } from './helpers/webrtc';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const WORK_DIR = join(ROOT, 'test', 'artifacts', 'readme');
const SNIPPET_TIMEOUT_MS = 30_000;
const RUN_TSCONFIG = join(WORK_DIR, 'tsconfig.run.json');

interface Block {
  lang: string;
  runnable: boolean;
  line: number;
  code: string;
}

/** The fenced blocks of a Markdown text, with the line each starts on; indentation (list items) removed. */
function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^( *)```(\w+)([^\n]*)\n([\s\S]*?)^\1```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const [, indent = '', lang = '', info = '', body = ''] = match;
    const code = body
      .split('\n')
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n');
    blocks.push({ lang, runnable: info.trim().split(/\s+/).includes('run'), line: markdown.slice(0, match.index).split('\n').length, code });
  }
  return blocks;
}

const readme = codeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const ofLang = (...langs: string[]): Block[] => readme.filter((block) => langs.includes(block.lang));
const snippetFile = (block: Block): string => join(WORK_DIR, `readme-line-${block.line}.mts`);

/** A snippet running in Node with browser globals; its output lines are collected as they come. */
class Snippet {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  constructor(file: string) {
    // Without the repository's tsconfig paths: the packages resolve as an app's would, to their builds.
    const env = { ...process.env, TSX_TSCONFIG_PATH: RUN_TSCONFIG };
    this.child = spawn(process.execPath, ['--import', 'tsx', '--import', join(ROOT, 'test', 'helpers', 'browser-globals.ts'), file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      this.lines.push(...chunk.toString().split('\n').filter(Boolean));
      for (const wake of this.waiters) wake();
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
  }

  /** Resolves with the first output line matching `pattern`, or fails after `timeoutMs`. */
  printed(pattern: RegExp, timeoutMs = SNIPPET_TIMEOUT_MS): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const line = this.lines.find((candidate) => pattern.test(candidate));
        if (line === undefined) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no output line matched ${pattern} in ${timeoutMs} ms; output:\n${this.lines.join('\n')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** `promise`, with this snippet's output added to its error when it fails. */
  async during<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}; the snippet printed:\n${this.lines.join('\n')}`);
    }
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}

describe('the README', () => {
  let gateway: TestGateway;
  const snippets: Snippet[] = [];
  const rooms: WeriftRoom[] = [];
  const pointed = (code: string): string => code.replaceAll('http://localhost:4000', gateway.url).replaceAll('localhost:4000', new URL(gateway.url).host);

  beforeAll(async () => {
    gateway = await startGateway({ RATE_LIMIT_SESSIONS_PER_MIN: '0', GRACE_MS: '1500' });
    await rm(WORK_DIR, { recursive: true, force: true });
    await mkdir(WORK_DIR, { recursive: true });
    await writeFile(RUN_TSCONFIG, JSON.stringify({ compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext' } }));
  });
  afterEach(async () => {
    await Promise.all([...snippets.splice(0).map((snippet) => snippet.stop()), ...rooms.splice(0).map((room) => room.leave())]);
  });
  afterAll(async () => {
    await gateway.close();
  });

  test('has the blocks this test knows how to check, each in a known language', () => {
    expect(ofLang('ts').length).toBeGreaterThanOrEqual(4);
    expect(readme.filter((block) => block.runnable).length).toBeGreaterThanOrEqual(3);
    expect(readme.map((block) => block.lang).filter((lang) => !['ts', 'sh', 'graphql'].includes(lang))).toEqual([]);
  });

  test('every TypeScript block type-checks as an ES module importing the packages by name', async () => {
    const files = ofLang('ts').map(snippetFile);
    await Promise.all(ofLang('ts').map((block) => writeFile(snippetFile(block), /^\s*(import|export)\b/m.test(block.code) ? block.code : `${block.code}\nexport {};\n`)));
    const tsconfig = join(WORK_DIR, 'tsconfig.json');
    await writeFile(tsconfig, JSON.stringify({ extends: '../../../tsconfig.json', compilerOptions: { noEmit: true }, include: [], files }));
    const check = run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], { cwd: ROOT, timeout: 120_000 });
    await expect(check.catch((error: { stdout?: string }) => Promise.reject(new Error(error.stdout ?? String(error))))).resolves.toBeDefined();
  }, 120_000);

  test('every GraphQL block is valid against the schema', async () => {
    const schema = buildSchema(await readFile(join(ROOT, 'schema', 'schema.graphql'), 'utf8'));
    for (const block of ofLang('graphql')) {
      expect({ line: block.line, errors: validate(schema, parse(block.code)).map((error) => error.message) }).toEqual({ line: block.line, errors: [] });
    }
  });

  test('every shell block parses; the runnable one mints a session', async () => {
    for (const block of ofLang('sh')) await run('bash', ['-n', '-c', block.code]);
    const runnable = ofLang('sh').filter((block) => block.runnable);
    expect(runnable).toHaveLength(1);
    const { stdout } = await run('bash', ['-c', pointed(runnable[0]?.code ?? '')], { timeout: SNIPPET_TIMEOUT_MS });
    expect(JSON.parse(stdout)).toMatchObject({ data: { createSession: { token: expect.any(String), peerId: expect.any(String) } } });
  });

  const runnableTs = ofLang('ts').filter((block) => block.runnable);
  const roomBlock = runnableTs.find((block) => block.code.includes('joinRoom('));
  const graphqlWsBlock = runnableTs.find((block) => block.code.includes("from 'graphql-ws'"));
  const socketIoBlock = runnableTs.find((block) => block.code.includes("from 'socket.io-client'"));

  test('every runnable TypeScript block has a scenario below', () => {
    expect(runnableTs.filter((block) => block !== roomBlock && block !== graphqlWsBlock && block !== socketIoBlock).map((block) => block.line)).toEqual([]);
  });

  test('the room example, run twice as written, makes a call: the two and a third peer hear each other', async () => {
    if (!roomBlock) throw new Error('the README has no runnable joinRoom example');
    const file = snippetFile(roomBlock);
    await writeFile(file, pointed(roomBlock.code));
    const watcher = await weriftRoom(gateway.httpUrl, { room: 'demo', peerId: 'watcher', name: 'watcher' });
    rooms.push(watcher);
    const first = new Snippet(file);
    snippets.push(first);
    // A snippet starts a process (tsx, werift): on a loaded machine that alone takes seconds.
    const fromFirst = await first.during(nextEvent(watcher, 'data', ({ data }) => data === 'hello, everyone', SNIPPET_TIMEOUT_MS * 2));
    const second = new Snippet(file);
    snippets.push(second);
    const joined = await second.during(nextEvent(watcher, 'peer-joined', ({ id }) => id !== fromFirst.from, SNIPPET_TIMEOUT_MS * 2));
    await second.during(dataFrom(watcher, joined.id, 'hello, everyone', SNIPPET_TIMEOUT_MS));
    await first.printed(new RegExp(`^${joined.id} says hello, everyone$`));
    await first.printed(/^alice joined$/);
    watcher.broadcast('hi from the test');
    await Promise.all([first.printed(/^watcher says hi from the test$/), second.printed(/^watcher says hi from the test$/)]);
    await second.stop();
    await first.printed(/^alice left (left|timeout)$/);
  }, 180_000);

  test('the graphql-ws example, run as written, receives its Welcome', async () => {
    if (!graphqlWsBlock) throw new Error('the README has no runnable graphql-ws example');
    const file = snippetFile(graphqlWsBlock);
    await writeFile(file, pointed(graphqlWsBlock.code));
    const snippet = new Snippet(file);
    snippets.push(snippet);
    await snippet.printed(/__typename: 'Welcome'/);
  }, 60_000);

  test('the Socket.IO example, run as written, answers a call over Socket.IO and hears its data channel', async () => {
    if (!socketIoBlock) throw new Error('the README has no runnable Socket.IO example');
    const file = snippetFile(socketIoBlock);
    await writeFile(file, pointed(socketIoBlock.code));
    const snippet = new Snippet(file);
    snippets.push(snippet);
    const answerer = (await snippet.printed(/^peer id /, SNIPPET_TIMEOUT_MS * 2)).slice('peer id '.length);
    await snippet.printed(/here with \d+ others$/);
    const session = await createSession(gateway.httpUrl, 'demo-io', 'caller');
    const io: IoPeer = ioPeer(gateway.url, 'caller', { token: session.token });
    await io.next('welcome');
    const caller = new WeriftPeer(io.port(), answerer);
    try {
      await snippet.printed(/^caller joined$/);
      const channel = caller.pc.createDataChannel('chat');
      channel.stateChanged.subscribe((state) => state === 'open' && channel.send('hello from the test'));
      await caller.offer();
      await snippet.during(snippet.printed(/^caller says hello from the test$/));
      expect(caller.errors).toEqual([]);
    } finally {
      io.close();
      await caller.close();
    }
  }, 90_000);
});
