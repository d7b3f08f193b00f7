// The Dockerfile and compose.yaml are not run here (no Docker engine on this machine): this
// checks what can be checked without one, that the image and the services start what
// package.json's scripts start, as a non-root user, with the files those commands read.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { projectRoot } from '../../src/lib/paths.js';

const read = (p: string) => readFileSync(join(projectRoot, p), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
const dockerfile = read('Dockerfile');
const compose = parse(read('compose.yaml')) as {
  services: Record<string, { command?: string[]; healthcheck?: { test?: string[] } }>;
};
const tsconfig = JSON.parse(read('tsconfig.json')) as {
  compilerOptions: { outDir: string; rootDir: string };
};

/** The final stage: everything after the last FROM. */
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
const execForm = (line: string | undefined) => JSON.parse(line ?? 'null') as string[];
const script = (name: string) => pkg.scripts[name]!.split(' ');

describe('Dockerfile', () => {
  test('multi-stage; the runtime stage installs production dependencies only', () => {
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 3);
    assert.match(dockerfile, /RUN npm ci --omit=dev/);
    assert.match(runtime, /COPY --from=deps \/app\/node_modules \.\/node_modules/);
    assert.doesNotMatch(runtime, /npm ci(?! --omit=dev)/);
  });

  test('runs as a non-root user with a HEALTHCHECK on /health', () => {
    const user = /^USER (\S+)$/m.exec(runtime)?.[1];
    assert.ok(user !== undefined && user !== 'root' && user !== '0', `USER ${user}`);
    assert.match(runtime, /^HEALTHCHECK .*\n?.*\/health/m);
  });

  test('CMD is `npm start` and its file is what the build writes', () => {
    const cmd = execForm(/^CMD (\[.*\])$/m.exec(runtime)?.[1]);
    assert.deepEqual(cmd, script('start'));
    // tsc -p tsconfig.build.json: rootDir "." → outDir "dist"; src/server.ts → dist/src/server.js
    assert.equal(tsconfig.compilerOptions.outDir, 'dist');
    assert.equal(tsconfig.compilerOptions.rootDir, '.');
    assert.match(pkg.scripts.build!, /tsc -p tsconfig\.build\.json/);
    assert.ok(
      existsSync(join(projectRoot, cmd[1]!.replace(/^dist\//, '').replace(/\.js$/, '.ts'))),
    );
  });

  test('copies the files the processes read at run time: package.json (the root marker), migrations', () => {
    assert.match(runtime, /^COPY package\.json \.\/$/m);
    assert.match(runtime, /^COPY migrations \.\/migrations$/m);
    assert.match(runtime, /^COPY --from=build \/app\/dist \.\/dist$/m);
    assert.match(dockerfile, /^COPY src \.\/src$/m);
    assert.match(dockerfile, /^COPY scripts \.\/scripts$/m);
  });
});

describe('compose.yaml', () => {
  test('PostgreSQL, RabbitMQ, MailDev, a one-shot migration, the API and the worker', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      'api',
      'maildev',
      'migrate',
      'postgres',
      'rabbitmq',
      'worker',
    ]);
  });

  test('each app service runs the matching package.json script', () => {
    assert.deepEqual(compose.services.api?.command, script('start'));
    assert.deepEqual(compose.services.worker?.command, script('start:worker'));
    assert.deepEqual(compose.services.migrate?.command, script('start:migrate'));
    for (const cmd of [script('start:worker'), script('start:migrate')]) {
      const source = cmd[1]!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      assert.ok(existsSync(join(projectRoot, source)), source);
    }
  });

  test("the worker's healthcheck probes its WORKER_HEALTH_PORT (the image's default, 8001)", () => {
    assert.match(dockerfile, /WORKER_HEALTH_PORT=8001/);
    assert.match(compose.services.worker?.healthcheck?.test?.join(' ') ?? '', /:8001\/health/);
  });
});
