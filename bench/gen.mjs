// Generates the benchmark Next.js apps (small / medium / large) under bench/.work/apps/<size>/.
//
//   node bench/gen.mjs [--sizes small,medium,large] [--out bench/.work/apps]
//
// Everything builds offline: no next/font/google, no remote images or fetches.
// Each app mixes the app and pages routers: static pages, ISR, SSR, dynamic routes
// with prerendered params, route handlers and API routes. The generator is
// deterministic; `appHash(size)` changes whenever the generated sources would.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

export const NEXT_VERSION = "16.4.6";
export const REACT_VERSION = "19.3.1";

/**
 * Route counts per size. `params` is the number of prerendered params per dynamic route.
 * routes = sum of the counts; prerendered pages ~= appStatic + appIsr + appDyn*params
 * + appApiStatic + pagesSsg + pagesIsr + pagesDyn*pagesParams (+ Next's 404/500 pages).
 */
export const SIZES = {
  small: {
    appStatic: 2,
    appIsr: 1,
    appSsr: 1,
    appDyn: 1,
    params: 3,
    appApi: 1,
    appApiStatic: 0,
    pagesSsg: 1,
    pagesIsr: 0,
    pagesSsr: 1,
    pagesDyn: 1,
    pagesParams: 2,
    pagesApi: 1,
    config: "plain",
  },
  medium: {
    appStatic: 90,
    appIsr: 30,
    appSsr: 20,
    appDyn: 30,
    params: 5,
    appApi: 25,
    appApiStatic: 15,
    pagesSsg: 30,
    pagesIsr: 10,
    pagesSsr: 10,
    pagesDyn: 10,
    pagesParams: 5,
    pagesApi: 20,
    config: "moderate",
  },
  large: {
    appStatic: 900,
    appIsr: 300,
    appSsr: 200,
    appDyn: 400,
    params: 7,
    appApi: 200,
    appApiStatic: 100,
    pagesSsg: 300,
    pagesIsr: 100,
    pagesSsr: 100,
    pagesDyn: 100,
    pagesParams: 6,
    pagesApi: 200,
    config: "rich",
  },
};

const KINDS = [
  "appStatic",
  "appIsr",
  "appSsr",
  "appDyn",
  "appApi",
  "appApiStatic",
  "pagesSsg",
  "pagesIsr",
  "pagesSsr",
  "pagesDyn",
  "pagesApi",
];

export function routeCount(size) {
  const s = SIZES[size];
  return KINDS.reduce((n, k) => n + s[k], 0);
}

export function prerenderEstimate(size) {
  const s = SIZES[size];
  return s.appStatic + s.appIsr + s.appDyn * s.params + s.appApiStatic + s.pagesSsg + s.pagesIsr + s.pagesDyn * s.pagesParams;
}

/** Sample URLs of each kind, used by the HTTP benchmarks (all answer 200). */
export function sampleUrls(size) {
  const s = SIZES[size];
  const urls = [];
  const pick = (n) => [...new Set([0, Math.floor(n / 2), n - 1])].filter((i) => i >= 0 && i < n);
  for (const i of pick(s.appStatic)) urls.push(`/a/static-${i}`);
  for (const i of pick(s.appIsr)) urls.push(`/a/isr-${i}`);
  for (const i of pick(s.appSsr)) urls.push(`/a/ssr-${i}`);
  for (const i of pick(s.appDyn)) urls.push(`/a/dyn-${i}/item-0`);
  for (const i of pick(s.appApi)) urls.push(`/api/r-${i}`);
  for (const i of pick(s.pagesSsg)) urls.push(`/p/ssg-${i}`);
  for (const i of pick(s.pagesIsr)) urls.push(`/p/isr-${i}`);
  for (const i of pick(s.pagesSsr)) urls.push(`/p/ssr-${i}`);
  for (const i of pick(s.pagesDyn)) urls.push(`/p/dyn-${i}/1`);
  for (const i of pick(s.pagesApi)) urls.push(`/api/p-${i}`);
  return urls;
}

function files(size) {
  const s = SIZES[size];
  const f = new Map();
  const put = (p, text) => f.set(p, text.replace(/^\n/, ""));

  put(
    "package.json",
    `${JSON.stringify(
      {
        name: `bench-${size}`,
        version: "0.0.0",
        private: true,
        scripts: { build: "next build", start: "next start" },
        dependencies: { next: NEXT_VERSION, react: REACT_VERSION, "react-dom": REACT_VERSION },
      },
      null,
      2,
    )}\n`,
  );
  put(".gitignore", "node_modules\n.next\n.open-next\n.bench-out\n");
  put("next.config.mjs", nextConfig(size));

  // Shared components.
  put(
    "components/Card.js",
    `
export default function Card({ title, children }) {
  return (
    <section className="card">
      <h2>{title}</h2>
      <div>{children}</div>
    </section>
  );
}
`,
  );
  put(
    "components/Counter.js",
    `
'use client';
import { useState } from 'react';

export default function Counter({ start = 0 }) {
  const [n, setN] = useState(start);
  return <button onClick={() => setN(n + 1)}>count: {n}</button>;
}
`,
  );
  put(
    "lib/data.js",
    `
export function items(seed, n = 5) {
  const out = [];
  for (let i = 0; i < n; i++) out.push({ id: \`\${seed}-\${i}\`, label: \`Item \${i} of \${seed}\` });
  return out;
}
`,
  );
  put("public/robots.txt", "User-agent: *\nAllow: /\n");
  put(
    "public/logo.svg",
    `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#09f"/></svg>\n`,
  );
  put("public/data/info.json", `{"bench":"${size}"}\n`);

  // App router.
  put("app/globals.css", "body { font-family: sans-serif; margin: 2rem; }\n.card { border: 1px solid #ccc; padding: 1rem; }\n");
  put(
    "app/layout.js",
    `
import './globals.css';

export const metadata = { title: 'bench ${size}', description: 'open-next-rs benchmark app' };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        <nav><a href="/">home</a></nav>
        <main>{children}</main>
      </body>
    </html>
  );
}
`,
  );
  put(
    "app/page.js",
    `
import Card from '../components/Card';
import Counter from '../components/Counter';

export default function Home() {
  return (
    <Card title="bench ${size}">
      <p>${routeCount(size)} routes</p>
      <Counter />
    </Card>
  );
}
`,
  );
  put(
    "app/not-found.js",
    `
export default function NotFound() {
  return <h1>not found</h1>;
}
`,
  );
  for (let i = 0; i < s.appStatic; i++)
    put(
      `app/a/static-${i}/page.js`,
      `
import Card from '../../../components/Card';
${i % 5 === 0 ? "import Counter from '../../../components/Counter';\n" : ""}import { items } from '../../../lib/data';

export const metadata = { title: 'static ${i}' };

export default function Page() {
  return (
    <Card title="static ${i}">
      <ul>{items('static-${i}').map((it) => <li key={it.id}>{it.label}</li>)}</ul>
${i % 5 === 0 ? "      <Counter start={" + i + "} />\n" : ""}    </Card>
  );
}
`,
    );
  for (let i = 0; i < s.appIsr; i++)
    put(
      `app/a/isr-${i}/page.js`,
      `
import Card from '../../../components/Card';

export const revalidate = ${60 + (i % 10) * 60};

export default function Page() {
  return (
    <Card title="isr ${i}">
      <p>generated at <time>{new Date().toISOString()}</time></p>
    </Card>
  );
}
`,
    );
  for (let i = 0; i < s.appSsr; i++)
    put(
      `app/a/ssr-${i}/page.js`,
      `
import Card from '../../../components/Card';

export const dynamic = 'force-dynamic';

export default async function Page({ searchParams }) {
  const q = (await searchParams).q ?? '';
  return (
    <Card title="ssr ${i}">
      <p>q={q} at {Date.now()}</p>
    </Card>
  );
}
`,
    );
  for (let i = 0; i < s.appDyn; i++)
    put(
      `app/a/dyn-${i}/[slug]/page.js`,
      `
import Card from '../../../../components/Card';
import { items } from '../../../../lib/data';
${i % 3 === 0 ? "\nexport const revalidate = 3600;\n" : ""}
export function generateStaticParams() {
  return Array.from({ length: ${s.params} }, (_, n) => ({ slug: \`item-\${n}\` }));
}

export default async function Page({ params }) {
  const { slug } = await params;
  return (
    <Card title={\`dyn ${i} \${slug}\`}>
      <ul>{items(slug, 3).map((it) => <li key={it.id}>{it.label}</li>)}</ul>
    </Card>
  );
}
`,
    );
  for (let i = 0; i < s.appApi; i++)
    put(
      `app/api/r-${i}/route.js`,
      `
export async function GET(request) {
  const url = new URL(request.url);
  return Response.json({ route: ${i}, q: url.searchParams.get('q') });
}

export async function POST(request) {
  const body = await request.text();
  return Response.json({ route: ${i}, length: body.length });
}
`,
    );
  for (let i = 0; i < s.appApiStatic; i++)
    put(
      `app/api/static-${i}/route.js`,
      `
export const dynamic = 'force-static';

export function GET() {
  return Response.json({ static: ${i} });
}
`,
    );

  // Pages router.
  put(
    "pages/_app.js",
    `
export default function App({ Component, pageProps }) {
  return <Component {...pageProps} />;
}
`,
  );
  for (let i = 0; i < s.pagesSsg; i++)
    put(
      `pages/p/ssg-${i}.js`,
      `
export async function getStaticProps() {
  return { props: { n: ${i}, items: Array.from({ length: 5 }, (_, k) => \`ssg-${i}-\${k}\`) } };
}

export default function Page({ n, items }) {
  return (
    <div>
      <h1>ssg {n}</h1>
      <ul>{items.map((x) => <li key={x}>{x}</li>)}</ul>
    </div>
  );
}
`,
    );
  for (let i = 0; i < s.pagesIsr; i++)
    put(
      `pages/p/isr-${i}.js`,
      `
export async function getStaticProps() {
  return { props: { n: ${i}, at: Date.now() }, revalidate: ${120 + i} };
}

export default function Page({ n, at }) {
  return <h1>isr {n} at {at}</h1>;
}
`,
    );
  for (let i = 0; i < s.pagesSsr; i++)
    put(
      `pages/p/ssr-${i}.js`,
      `
export async function getServerSideProps({ query }) {
  return { props: { n: ${i}, q: query.q ?? '' } };
}

export default function Page({ n, q }) {
  return <h1>ssr {n} q={q}</h1>;
}
`,
    );
  for (let i = 0; i < s.pagesDyn; i++)
    put(
      `pages/p/dyn-${i}/[id].js`,
      `
export async function getStaticPaths() {
  return {
    paths: Array.from({ length: ${s.pagesParams} }, (_, n) => ({ params: { id: String(n) } })),
    fallback: ${i % 2 === 0 ? "'blocking'" : "false"},
  };
}

export async function getStaticProps({ params }) {
  return { props: { id: params.id }${i % 4 === 0 ? ", revalidate: 600" : ""} };
}

export default function Page({ id }) {
  return <h1>dyn ${i} post {id}</h1>;
}
`,
    );
  for (let i = 0; i < s.pagesApi; i++)
    put(
      `pages/api/p-${i}.js`,
      `
export default function handler(req, res) {
  res.status(200).json({ api: ${i}, method: req.method });
}
`,
    );
  return f;
}

function nextConfig(size) {
  const s = SIZES[size];
  const level = s.config;
  const redirects = [];
  const beforeFiles = [];
  const afterFiles = [];
  const fallback = [];
  const headers = [{ source: "/:path*", headers: [{ key: "x-bench", value: size }] }];
  if (level !== "plain") {
    const n = level === "rich" ? 150 : 15;
    for (let i = 0; i < n; i++) {
      redirects.push({ source: `/old/static-${i}`, destination: `/a/static-${i % s.appStatic}`, permanent: i % 2 === 0 });
    }
    redirects.push({ source: "/legacy/:slug*", destination: "/a/static-0", permanent: false });
    redirects.push({
      source: "/go",
      has: [{ type: "query", key: "to", value: "(?<to>.*)" }],
      destination: "/a/static-:to",
      permanent: false,
    });
    const r = level === "rich" ? 60 : 8;
    for (let i = 0; i < r; i++) afterFiles.push({ source: `/alias/${i}/:id`, destination: `/a/dyn-${i % s.appDyn}/:id` });
    beforeFiles.push({ source: "/before/:n", destination: "/a/static-:n" });
    beforeFiles.push({ source: "/h", has: [{ type: "header", key: "x-variant", value: "b" }], destination: "/a/static-1" });
    fallback.push({ source: "/fb/:path*", destination: "/a/static-0" });
    const h = level === "rich" ? 50 : 5;
    for (let i = 0; i < h; i++)
      headers.push({
        source: `/a/static-${i}`,
        headers: [
          { key: "x-page", value: String(i) },
          { key: "cache-tag", value: `static-${i}` },
        ],
      });
    headers.push({ source: "/api/:path*", headers: [{ key: "access-control-allow-origin", value: "*" }] });
  }
  const extra =
    level === "rich"
      ? `
  poweredByHeader: false,
  reactStrictMode: true,
  compress: true,
  generateEtags: true,
  trailingSlash: false,
  env: { BENCH_SIZE: '${size}', BENCH_FLAG: 'on' },
  images: {
    deviceSizes: [320, 640, 750, 1080, 1920],
    imageSizes: [16, 32, 64, 128, 256],
    formats: ['image/avif', 'image/webp'],
    minimumCacheTTL: 3600,
    localPatterns: [{ pathname: '/**' }],
  },
  serverExternalPackages: [],
  experimental: { optimizePackageImports: [] },`
      : level === "moderate"
        ? `
  poweredByHeader: false,
  images: { formats: ['image/webp'] },`
        : "";
  return `import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = path.dirname(fileURLToPath(import.meta.url));

/** @type {import('next').NextConfig} */
export default {
  // Pin the tracing root to this app (the repository has a lockfile higher up).
  outputFileTracingRoot: appDir,${extra}
  async redirects() {
    return ${JSON.stringify(redirects)};
  },
  async rewrites() {
    return ${JSON.stringify({ beforeFiles, afterFiles, fallback })};
  },
  async headers() {
    return ${JSON.stringify(headers)};
  },
};
`;
}

/** A hash of everything the generator writes for `size`. */
export function appHash(size) {
  const h = createHash("sha256");
  for (const [p, t] of [...files(size)].sort(([a], [b]) => a.localeCompare(b))) h.update(`${p}\0${t}\0`);
  return h.digest("hex").slice(0, 16);
}

/**
 * Writes the app for `size` into `dir`: removes generated sources that are stale
 * but keeps node_modules (and .next, which the caller invalidates by hash).
 */
export function generate(size, dir) {
  if (!SIZES[size]) throw new Error(`unknown size ${size}; sizes: ${Object.keys(SIZES).join(", ")}`);
  const f = files(size);
  for (const sub of ["app", "pages", "components", "lib", "public"]) rmSync(path.join(dir, sub), { recursive: true, force: true });
  for (const [p, text] of f) {
    const full = path.join(dir, p);
    mkdirSync(path.dirname(full), { recursive: true });
    if (!existsSync(full) || readFileSync(full, "utf8") !== text) writeFileSync(full, text);
  }
  return { files: f.size, routes: routeCount(size), prerenderEstimate: prerenderEstimate(size) };
}

/** Number of files under `dir` (for reporting). */
export function countFiles(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += countFiles(p);
    else if (e.isFile() || statSync(p).isFile()) n++;
  }
  return n;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
  const sizes = opt("--sizes", "small,medium,large").split(",");
  const out = path.resolve(opt("--out", path.join(here, ".work/apps")));
  for (const size of sizes) {
    const dir = path.join(out, size);
    mkdirSync(dir, { recursive: true });
    const r = generate(size, dir);
    console.log(`${size}: ${dir} (${r.files} files, ${r.routes} routes, ~${r.prerenderEstimate} prerendered pages, hash ${appHash(size)})`);
  }
}
