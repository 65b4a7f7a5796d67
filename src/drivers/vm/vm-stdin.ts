/**
 * The stdin of a running, detached `-i` VM environment: a connection to its monitor that ATTACHes
 * with stdin and sends what is written as the command's STDIN frames (the guest keeps the
 * command's stdin open: a pipe, or its pty). The command's output also comes to this connection
 * and is read and dropped (the log has it; an unread socket would pause the command). The end is
 * EOF to a command without a terminal (Docker's StdinOnce); with one, the shell stays for the
 * next attach.
 */
import { Writable } from 'node:stream';
import { FrameType as F, MAX_PAYLOAD } from './guest-protocol.js';
import type { VmClient } from './vm-client.js';

const MAIN = 1;

export function vmStdin(client: VmClient, tty: boolean): Writable {
  client.send(F.ATTACH, MAIN, Buffer.from(JSON.stringify({ stdin: true, input: true })));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      let ok = true;
      for (let at = 0; at < chunk.length; at += MAX_PAYLOAD)
        ok = client.send(F.STDIN, MAIN, chunk.subarray(at, at + MAX_PAYLOAD)) && ok;
      if (ok || client.sock.destroyed) done();
      else client.sock.once('drain', () => done());
    },
    final(done) {
      if (!tty) client.send(F.STDIN, MAIN, Buffer.alloc(0));
      client.close();
      done();
    },
    destroy(err, done) {
      client.sock.destroy();
      done(err);
    },
  });
  // The monitor went (the VM stopped): what is still written has nowhere to go.
  client.sock.once('close', () => sink.destroy());
  sink.on('error', () => undefined);
  return sink;
}
