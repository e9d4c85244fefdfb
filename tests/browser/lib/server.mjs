// A real `todobot serve` process for one scenario: its own port and data directory, and stop /
// start to simulate an outage (the process really goes away: connections are refused).
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = process.env.TODOBOT_BIN;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class TodobotServer {
  static async start(extraEnv = {}) {
    const server = new TodobotServer(await freePort(), mkdtempSync(join(tmpdir(), "todobot-e2e-")), extraEnv);
    await server.startProcess();
    return server;
  }

  constructor(port, dir, extraEnv) {
    this.port = port;
    this.dir = dir;
    this.extraEnv = extraEnv;
    this.base = `http://127.0.0.1:${port}`;
    this.proc = null;
  }

  async startProcess() {
    if (!BIN) throw new Error("TODOBOT_BIN is required");
    const env = { ...process.env };
    for (const k of ["DATABASE_URL", "OPENAI_API_KEY", "MCP_URL", "CHATKIT_DOMAIN_KEY", "CORS_ORIGINS"]) delete env[k];
    Object.assign(env, {
      BIND: `127.0.0.1:${this.port}`, DATA_DIR: this.dir, LLM_PROVIDER: "local", APP_ENV: "development",
      RUST_LOG: "warn", LOG_FORMAT: "text",
    }, this.extraEnv);
    const log = openSync(join(this.dir, "server.log"), "a");
    this.proc = spawn(BIN, ["serve"], { env, stdio: ["ignore", log, log] });
    const proc = this.proc;
    let exited = false;
    proc.once("exit", () => { exited = true; });
    for (let i = 0; i < 200; i++) {
      if (exited) throw new Error(`todobot exited at start:\n${this.log()}`);
      try {
        const res = await fetch(`${this.base}/readyz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`todobot did not become ready:\n${this.log()}`);
  }

  /** Kills the process (SIGKILL by default: an outage, not a polite shutdown). */
  async stop(signal = "SIGKILL") {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once("exit", r));
    proc.kill(signal);
    await gone;
    this.proc = null;
  }

  /** Starts the process again on the same port and data (a restart after an outage). */
  async restart() {
    await this.stop();
    await this.startProcess();
  }

  log() {
    try {
      return readFileSync(join(this.dir, "server.log"), "utf8");
    } catch {
      return "";
    }
  }

  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
