/** Run a network tool (ip, nft, nsenter) with optional stdin; a failure is a HostError naming it. */
import { spawn } from 'node:child_process';
import { HostError } from '../../core/errors.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runTool(argv: string[], input?: string): Promise<ToolResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', (e) => resolve({ code: 127, stdout, stderr: e.message }));
    child.once('close', (code) => resolve({ code: code ?? 125, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

export async function mustRun(what: string, argv: string[], input?: string, fix?: string): Promise<string> {
  const r = await runTool(argv, input);
  if (r.code !== 0) {
    const detail = r.stderr.trim().split('\n').filter(Boolean).slice(0, 2).join('; ') || `exit ${r.code}`;
    throw new HostError('net-tool', `${what} failed: ${argv[0]}: ${detail}`, fix ? { fix } : {});
  }
  return r.stdout;
}
