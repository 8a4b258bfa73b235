import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Keep .next/standalone rooted at this app even inside the open-next-rs repo.
  outputFileTracingRoot: path.dirname(fileURLToPath(import.meta.url)),
  async redirects() {
    return [{ source: '/old-isr', destination: '/isr', permanent: true }];
  },
};

export default nextConfig;
