// The public pages' JavaScript budget (issue 8, ADR 0006): everything the browser must load to
// show a public page — the entry chunk, the page's own chunk and every chunk they import
// statically — is at most 150 KB gzipped. Signed-in pages are lazy chunks and do not count. Reads the Vite manifest of
// a build (`npm run build` writes dist/web/.vite/manifest.json). `npm run web:budget [dir]`;
// the end-to-end tests run it on the build they test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';

export const PUBLIC_JS_BUDGET = 150 * 1024;

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

/** The public pages that are chunks of their own (the catalogue is in the entry chunk). */
export const PUBLIC_PAGES = [
  'src/features/auth/components/SignInPage.tsx',
  'src/features/auth/components/SignUpPage.tsx',
  'src/features/auth/components/ForgotPasswordPage.tsx',
  'src/features/auth/components/ResetPasswordPage.tsx',
  'src/features/auth/components/VerifyEmailPage.tsx',
  'src/features/catalogue/components/ProjectPage.tsx',
];

export interface PageWeight {
  page: string;
  files: { file: string; gzip: number }[];
  total: number;
}

/** For the home page and each public page: the gzipped JavaScript it loads. */
export function publicJs(distDir: string): PageWeight[] {
  const manifest = JSON.parse(readFileSync(join(distDir, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const entries = Object.keys(manifest).filter((k) => manifest[k]?.isEntry);
  if (entries.length === 0) {
    throw new Error('manifest has no entry chunk');
  }
  const closure = (roots: string[]) => {
    const seen = new Set<string>();
    const visit = (key: string) => {
      if (seen.has(key)) {
        return;
      }
      if (!manifest[key]) {
        throw new Error(`${key} is not in the build: update PUBLIC_PAGES`);
      }
      seen.add(key);
      for (const i of manifest[key].imports ?? []) {
        visit(i);
      }
    };
    roots.forEach(visit);
    return seen;
  };
  const sizes = new Map<string, number>();
  const weigh = (page: string, roots: string[]): PageWeight => {
    const files = [...closure(roots)]
      .map((k) => manifest[k]!.file)
      .filter((f) => f.endsWith('.js'))
      .map((file) => {
        let gzip = sizes.get(file);
        if (gzip === undefined) {
          gzip = gzipSync(readFileSync(join(distDir, file)), { level: 9 }).length;
          sizes.set(file, gzip);
        }
        return { file, gzip };
      });
    return { page, files, total: files.reduce((s, f) => s + f.gzip, 0) };
  };
  return [weigh('/ (catalogue)', entries), ...PUBLIC_PAGES.map((p) => weigh(p, [...entries, p]))];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? 'dist/web';
  const pages = publicJs(dir);
  for (const p of pages) {
    console.log(`${(p.total / 1024).toFixed(1).padStart(7)} KB  ${p.page}`);
  }
  const max = Math.max(...pages.map((p) => p.total));
  console.log(
    `${(max / 1024).toFixed(1).padStart(7)} KB  the heaviest public page's JavaScript, gzipped (budget ${PUBLIC_JS_BUDGET / 1024} KB)`,
  );
  if (max > PUBLIC_JS_BUDGET) {
    console.error('web:budget: over budget');
    process.exit(1);
  }
}
