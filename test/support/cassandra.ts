/**
 * Start/stop a real Apache Cassandra 5.0 node for the test-suite.
 *
 * The runtime classpath comes from Maven Central (tools/cassandra/fetch.sh, cached in
 * "${CASSANDRA_WORK:-<repo>/.cassandra}/lib"); the config lives in tools/cassandra/.
 * Java is spawned directly (no bin/cassandra script, no shell). One throwaway node on 127.0.0.1:
 * native port 9043 (not 9042: the Scylla emulator uses 127.0.0.x:9042), storage port 7010,
 * JMX on 127.0.0.1:7199 for tools/cassandra/nodetool.sh (skipped if that port is taken).
 * Data and logs are wiped on every start; TLS material in <work>/tls is reused if complete.
 *
 * Env overrides: CASSANDRA_WORK (work dir), CASSANDRA_JAVA (a JDK 17 `java`; never 24+),
 * CASSANDRA_PORT (native port), CASSANDRA_STORAGE_PORT (internode port; +1 is reserved for
 * ssl_storage_port), CASSANDRA_JMX_PORT (0 = no JMX), CASSANDRA_TLS=0 (no client TLS).
 * Two runs at once need distinct CASSANDRA_WORK and ports: a start refuses a work dir whose
 * Cassandra still has a live Node parent, and kills an orphaned one left by a crashed run.
 *
 * `cassandra-driver` is used here only to verify that a CQL login works before returning.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cassandra from 'cassandra-driver';

export interface CassandraInfo {
  host: string;
  port: number;
  username: string;
  password: string;
  workDir: string;
  /** Client TLS is optional on the SAME port: plaintext and TLS clients both work. */
  tls?: { caPath: string; certPath: string; keyPath: string };
  /** Local-only JMX port for nodetool (undefined if JMX was not started). */
  jmxPort?: number;
}

const HOST = '127.0.0.1';
const USERNAME = 'cassandra';
const PASSWORD = 'cassandra';
const DEFAULT_PORT = 9043;
const DEFAULT_STORAGE_PORT = 7010;
const DEFAULT_JMX_PORT = 7199;
const TLS_PASSWORD = 'changeit';
const MAIN_CLASS = 'org.apache.cassandra.service.CassandraDaemon';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOOLS = path.join(REPO, 'tools', 'cassandra');

class CassandraError extends Error {
  constructor(message: string) {
    super(`cassandra: ${message}`);
    this.name = 'CassandraError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

function findJava(): string {
  const candidates = process.env.CASSANDRA_JAVA
    ? [process.env.CASSANDRA_JAVA]
    : [
        '/usr/lib/jvm/java-17-openjdk-amd64/bin/java',
        '/usr/lib/jvm/java-17-openjdk-arm64/bin/java',
        ...safeReaddir('/usr/lib/jvm')
          .filter((d) => /(^|[^0-9])17([^0-9]|$)/.test(d))
          .map((d) => path.join('/usr/lib/jvm', d, 'bin', 'java')),
      ];
  const java = candidates.find((p) => fs.existsSync(p));
  if (!java) throw new CassandraError(`java 17 not found at ${candidates[0]} (set CASSANDRA_JAVA)`);
  // Cassandra 5.0 runs on JDK 11/17 only (JDK 24+ removed System.setSecurityManager).
  let version = '';
  const release = path.join(path.dirname(path.dirname(java)), 'release');
  if (fs.existsSync(release)) {
    version = /JAVA_VERSION="([^"]+)"/.exec(fs.readFileSync(release, 'utf8'))?.[1] ?? '';
  }
  if (!version) {
    const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
    version = /version "([^"]+)"/.exec(`${r.stderr}${r.stdout}`)?.[1] ?? '';
  }
  if (!/^(11|17)(\.|$)/.test(version)) {
    throw new CassandraError(`java at ${java} is version "${version || 'unknown'}"; Cassandra 5.0 needs JDK 17 (set CASSANDRA_JAVA)`);
  }
  return java;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function fetchJars(workDir: string, lib: string): void {
  if (fs.existsSync(path.join(lib, '.ok'))) return;
  const r = spawnSync('bash', [path.join(TOOLS, 'fetch.sh')], {
    env: { ...process.env, CASSANDRA_WORK: workDir },
    encoding: 'utf8',
  });
  if (r.status !== 0 || !fs.existsSync(path.join(lib, '.ok'))) {
    const why = oneLine(`${r.stderr ?? ''} ${r.stdout ?? ''}`).slice(-400) || String(r.error ?? `exit ${r.status}`);
    throw new CassandraError(`fetching jars with tools/cassandra/fetch.sh failed: ${why}`);
  }
}

/** Throwaway CA + server keystore (PKCS12) + client cert/key, all in <work>/tls. Reused if complete. */
function ensureTls(tlsDir: string, java: string): { caPath: string; certPath: string; keyPath: string; keystore: string; truststore: string } {
  const f = (n: string): string => path.join(tlsDir, n);
  const out = { caPath: f('ca.pem'), certPath: f('client.pem'), keyPath: f('client.key'), keystore: f('keystore.p12'), truststore: f('truststore.p12') };
  if (Object.values(out).every((p) => fs.existsSync(p))) return out;
  fs.rmSync(tlsDir, { recursive: true, force: true });
  fs.mkdirSync(tlsDir, { recursive: true });
  const keytool = path.join(path.dirname(java), 'keytool');
  const run = (cmd: string, args: string[]): void => {
    try {
      execFileSync(cmd, args, { cwd: tlsDir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new CassandraError(`TLS setup failed running ${path.basename(cmd)} ${args[0] ?? ''}: ${oneLine(err.stderr?.toString() || err.message).slice(0, 300)} (set CASSANDRA_TLS=0 to start without TLS)`);
    }
  };
  fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(f('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650',
    '-subj', '/CN=scylla-bench test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  for (const [name, cn, serial] of [['server', '127.0.0.1', '2'], ['client', 'cassandra', '3']] as const) {
    run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    run('openssl', ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial,
      '-days', '3650', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
  }
  run('openssl', ['pkcs12', '-export', '-in', 'server.pem', '-inkey', 'server.key', '-certfile', 'ca.pem', '-name', 'cassandra',
    '-out', 'keystore.p12', '-passout', `pass:${TLS_PASSWORD}`]);
  // A Java truststore needs "trusted certificate" entries, which OpenSSL 3.0 cannot write: use keytool.
  run(keytool, ['-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', '-keystore', 'truststore.p12',
    '-storetype', 'PKCS12', '-storepass', TLS_PASSWORD]);
  return out;
}

/** PIDs of CassandraDaemon JVMs (Linux /proc scan) with their command lines. */
function cassandraProcesses(): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const d of safeReaddir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(MAIN_CLASS)) found.push({ pid: Number(d), cmdline });
    } catch {
      // process went away
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Parent PID of a process, or 0 if unknown. */
function parentPid(pid: number): number {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces, so split after ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || 0;
  } catch {
    return 0;
  }
}

/**
 * Handle a Cassandra that already uses this work dir: if the Node process that spawned it is still
 * running (a concurrent test run), fail; if it is orphaned (a previous run died), kill it.
 */
async function killLeftovers(workDir: string): Promise<void> {
  const marker = `-Dcassandra.storagedir=${path.join(workDir, 'data')} `;
  const stale: number[] = [];
  for (const p of cassandraProcesses()) {
    if (!`${p.cmdline} `.includes(marker)) continue;
    const ppid = parentPid(p.pid);
    let parentCmd = '';
    try {
      parentCmd = ppid > 1 ? fs.readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0').join(' ') : '';
    } catch {
      // parent gone
    }
    if (ppid !== process.pid && /(^|\/)node\b/.test(parentCmd)) {
      throw new CassandraError(`another test run (node pid ${ppid}, Cassandra pid ${p.pid}) is using ${workDir}; ` +
        'wait for it, or run in parallel with distinct CASSANDRA_WORK, CASSANDRA_PORT and CASSANDRA_STORAGE_PORT');
    }
    stale.push(p.pid);
  }
  for (const pid of stale) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10_000;
  while (stale.some(alive) && Date.now() < deadline) await sleep(100);
  if (stale.some(alive)) throw new CassandraError(`could not kill leftover Cassandra pid(s) ${stale.filter(alive).join(',')}`);
}

function portAccepts(port: number, host = HOST, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function portFree(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function lastLogLines(logsDir: string, n = 6): string {
  const read = (name: string): string[] => {
    try {
      return fs.readFileSync(path.join(logsDir, name), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('\tat '));
    } catch {
      return [];
    }
  };
  const system = read('system.log');
  const stdout = read('stdout.log');
  const isError = (l: string): boolean => /^(ERROR|Exception|Caused by|Error|Terminating)/.test(l) || /(Exception|Error):/.test(l);
  const errors = [...system, ...stdout].filter(isError);
  const pick = errors.length ? errors : system.length ? system : stdout;
  return pick.slice(-n).map((l) => oneLine(l).slice(0, 300)).join(' | ') || '(no log output)';
}

async function tryLogin(port: number, tls?: { caPath: string; certPath: string; keyPath: string }): Promise<string> {
  const client = new cassandra.Client({
    contactPoints: [HOST],
    localDataCenter: 'datacenter1',
    protocolOptions: { port },
    authProvider: new cassandra.auth.PlainTextAuthProvider(USERNAME, PASSWORD),
    socketOptions: { connectTimeout: 5000, readTimeout: 10_000 },
    ...(tls
      ? {
          sslOptions: {
            ca: [fs.readFileSync(tls.caPath)],
            cert: fs.readFileSync(tls.certPath),
            key: fs.readFileSync(tls.keyPath),
            rejectUnauthorized: true,
          },
        }
      : {}),
  });
  try {
    await client.connect();
    const rs = await client.execute('SELECT release_version FROM system.local');
    return String(rs.first()?.get('release_version') ?? '');
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

export async function startCassandra(opts?: { port?: number; timeoutMs?: number }): Promise<{ info: CassandraInfo; stop: () => Promise<void> }> {
  const port = opts?.port ?? (process.env.CASSANDRA_PORT ? Number(process.env.CASSANDRA_PORT) : DEFAULT_PORT);
  const storagePort = process.env.CASSANDRA_STORAGE_PORT ? Number(process.env.CASSANDRA_STORAGE_PORT) : DEFAULT_STORAGE_PORT;
  const timeoutMs = opts?.timeoutMs ?? 120_000;
  for (const [name, v] of [['port', port], ['storage port', storagePort]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 65534) throw new CassandraError(`invalid ${name} ${v}`);
  }
  const workDir = path.resolve(process.env.CASSANDRA_WORK || path.join(REPO, '.cassandra'));
  const lib = path.join(workDir, 'lib');
  const confDir = path.join(workDir, 'conf');
  const dataDir = path.join(workDir, 'data');
  const logsDir = path.join(workDir, 'logs');
  const withTls = process.env.CASSANDRA_TLS !== '0';

  const java = findJava();
  fetchJars(workDir, lib);
  const jamm = safeReaddir(lib).find((f) => /^jamm-.*\.jar$/.test(f));
  if (!jamm) throw new CassandraError(`no jamm-*.jar in ${lib} (delete ${path.join(lib, '.ok')} and rerun tools/cassandra/fetch.sh)`);

  await killLeftovers(workDir);
  for (const [p, what] of [[port, 'native transport'], [storagePort, 'storage']] as const) {
    if (!(await portFree(p))) {
      const others = cassandraProcesses().map((c) => c.pid);
      throw new CassandraError(`${HOST}:${p} (${what} port) is already in use by another process` +
        (others.length ? ` (running CassandraDaemon pid(s): ${others.join(',')})` : ''));
    }
  }
  const wantJmx = process.env.CASSANDRA_JMX_PORT ? Number(process.env.CASSANDRA_JMX_PORT) : DEFAULT_JMX_PORT;
  const jmxPort = wantJmx > 0 && (await portFree(wantJmx)) ? wantJmx : undefined;

  // Fresh node every time.
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(logsDir, { recursive: true, force: true });
  for (const d of [confDir, dataDir, logsDir, path.join(workDir, 'triggers')]) fs.mkdirSync(d, { recursive: true });

  const tls = withTls ? ensureTls(path.join(workDir, 'tls'), java) : undefined;
  let yaml = fs.readFileSync(path.join(TOOLS, 'cassandra.yaml.in'), 'utf8');
  if (!tls) yaml = yaml.replace(/^client_encryption_options:\n(?:[ \t]+.*\n?)*/m, '');
  const subst: Record<string, string> = {
    WORK: workDir,
    PORT: String(port),
    STORAGE_PORT: String(storagePort),
    SSL_STORAGE_PORT: String(storagePort + 1),
    TLS_KEYSTORE: tls?.keystore ?? '',
    TLS_TRUSTSTORE: tls?.truststore ?? '',
    TLS_PASSWORD,
  };
  yaml = yaml.replace(/@([A-Z_]+)@/g, (m, k: string) => subst[k] ?? m);
  const yamlPath = path.join(confDir, 'cassandra.yaml');
  fs.writeFileSync(yamlPath, yaml);
  const logback = path.join(confDir, 'logback.xml');
  fs.copyFileSync(path.join(TOOLS, 'logback.xml'), logback);

  const args = [
    `@${path.join(TOOLS, 'jvm17-server.args')}`,
    // 1G max heap; a small initial heap because Cassandra mlockall()s, which pre-faults the whole
    // committed heap: -Xms1G costs ~2 s of startup and ~800 MiB more RSS.
    '-Xms256M',
    '-Xmx1G',
    `-javaagent:${path.join(lib, jamm)}`,
    `-XX:HeapDumpPath=${logsDir}`,
    `-Dcassandra.config=file://${yamlPath}`,
    `-Dlogback.configurationFile=${logback}`,
    `-Dcassandra.logdir=${logsDir}`,
    `-Dcassandra.storagedir=${dataDir}`,
    `-Dcassandra.triggers_dir=${path.join(workDir, 'triggers')}`,
    `-Djna.tmpdir=${workDir}`,
    '-Dcassandra-foreground=yes',
    ...(jmxPort ? [`-Dcassandra.jmx.local.port=${jmxPort}`] : []),
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.ring_delay_ms=1000',
    '-Dcassandra.superuser_setup_delay_ms=0',
    '-Dcassandra.unsafesystem=true',
    '-cp',
    `${lib}/*`,
    MAIN_CLASS,
  ];
  const out = fs.openSync(path.join(logsDir, 'stdout.log'), 'w');
  let child: ChildProcess;
  try {
    child = spawn(java, args, { cwd: workDir, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  const deadline = Date.now() + timeoutMs; // counts from spawn: fetch.sh / TLS setup are not included
  let exited: string | null = null;
  const exitedP = new Promise<void>((resolve) => {
    child.once('exit', (code, sig) => {
      exited = sig ? `signal ${sig}` : `exit code ${code}`;
      resolve();
    });
    child.once('error', (e) => {
      exited = `spawn error: ${e.message}`;
      resolve();
    });
  });
  child.unref();
  const killOnExit = (): void => {
    if (exited === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (exited !== null) return;
    child.ref(); // keep the event loop alive until the JVM is gone
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exitedP;
    clearTimeout(t);
  };

  const fail = async (msg: string): Promise<never> => {
    const tail = lastLogLines(logsDir);
    if (exited === null) {
      child.ref();
      child.kill('SIGKILL');
      await exitedP;
    }
    process.removeListener('exit', killOnExit);
    throw new CassandraError(`${msg}; last log lines: ${tail}`);
  };

  // 1. Wait for "Startup complete" (or the native port to accept).
  const systemLog = path.join(logsDir, 'system.log');
  for (;;) {
    if (exited !== null) return fail(`java exited during startup (${exited})`);
    let started = false;
    try {
      started = fs.readFileSync(systemLog, 'utf8').includes('Startup complete');
    } catch {
      // not yet
    }
    if (started || (await portAccepts(port, HOST, 300))) break;
    if (Date.now() > deadline) return fail(`did not answer on ${HOST}:${port} within ${Math.round(timeoutMs / 1000)}s`);
    await sleep(250);
  }

  // 2. The default superuser role is created just after startup: retry until cassandra/cassandra logs in.
  let lastErr = '';
  for (;;) {
    if (exited !== null) return fail(`java exited during startup (${exited})`);
    try {
      await tryLogin(port);
      break;
    } catch (e) {
      lastErr = oneLine((e as Error).message).slice(0, 200);
    }
    if (Date.now() > deadline) {
      return fail(`CQL login as ${USERNAME}/${PASSWORD} on ${HOST}:${port} did not succeed within ${Math.round(timeoutMs / 1000)}s (last error: ${lastErr})`);
    }
    await sleep(250);
  }
  if (tls) {
    try {
      await tryLogin(port, tls);
    } catch (e) {
      return fail(`TLS login on ${HOST}:${port} failed: ${oneLine((e as Error).message).slice(0, 200)}`);
    }
  }

  const info: CassandraInfo = {
    host: HOST,
    port,
    username: USERNAME,
    password: PASSWORD,
    workDir,
    ...(tls ? { tls: { caPath: tls.caPath, certPath: tls.certPath, keyPath: tls.keyPath } } : {}),
    ...(jmxPort ? { jmxPort } : {}),
  };
  return { info, stop };
}
