/**
 * The real testcontainers library as a client of `berth serve`, run as its own process (inside
 * the test's network namespace, as root or as the test user) with DOCKER_HOST set by the test.
 * Prints one JSON line of what it saw; the test asserts on it. Ryuk is off
 * (TESTCONTAINERS_RYUK_DISABLED=true): berth serve does not run the reaper container.
 */
import { GenericContainer, Wait } from 'testcontainers';

const image = process.argv[2] ?? 'busybox';
const container = await new GenericContainer(image)
  .withCommand([
    'sh',
    '-c',
    // The page is copied in before start: the command fails if it is not there yet.
    'mkdir -p /www && cp /tmp/page.html /www/index.html && echo ready && exec httpd -f -p 8080 -h /www',
  ])
  .withCopyContentToContainer([{ content: 'copied before start\n', target: '/tmp/page.html' }])
  .withExposedPorts(8080)
  .withLabels({ 'berth.test': 'testcontainers' })
  .withWaitStrategy(Wait.forAll([Wait.forLogMessage('ready'), Wait.forListeningPorts()]))
  .start();
const port = container.getMappedPort(8080);
const http = await (await fetch(`http://127.0.0.1:${port}/`)).text();
const exec = await container.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
await container.copyContentToContainer([{ content: 'copied in\n', target: '/tmp/in.txt' }]);
const copied = (await container.exec(['cat', '/tmp/in.txt'])).output;
// testcontainers unrefs the log stream's socket: a timer keeps this process alive meanwhile.
const keepAlive = setTimeout(() => {}, 60_000);
const logs = await new Promise<string>((resolve, reject) => {
  let text = '';
  container
    .logs()
    .then((s) => {
      s.on('data', (d: Buffer | string) => {
        text += d.toString();
        if (text.includes('ready')) {
          s.destroy();
          resolve(text);
        }
      });
      s.on('error', reject);
    })
    .catch(reject);
});
clearTimeout(keepAlive);
const id = container.getId();
await container.stop();
process.stdout.write(`${JSON.stringify({ id, port, http, exec, copied, logs })}\n`);
