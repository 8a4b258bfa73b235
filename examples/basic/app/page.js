import Link from 'next/link';

export default function Home() {
  return (
    <>
      <h1>Hello from open-next-rs</h1>
      <p className="lead">
        This page is static: it was rendered once, at build time.
      </p>
      <div className="grid">
        <Link href="/isr" className="card">
          <h2>ISR &rarr;</h2>
          <p>Regenerated in the background at most every 10 seconds.</p>
        </Link>
        <Link href="/ssr" className="card">
          <h2>SSR &rarr;</h2>
          <p>Rendered on every request.</p>
        </Link>
        <a href="/api/hello" className="card">
          <h2>Route handler &rarr;</h2>
          <p>A JSON API at /api/hello.</p>
        </a>
        <a href="/hello.txt" className="card">
          <h2>Public file &rarr;</h2>
          <p>Served straight from public/.</p>
        </a>
      </div>
    </>
  );
}
