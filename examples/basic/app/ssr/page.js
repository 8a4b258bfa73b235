import { headers } from 'next/headers';

export const dynamic = 'force-dynamic';

export default async function SsrPage({ searchParams }) {
  const h = await headers();
  const { name } = await searchParams;
  return (
    <>
      <h1>Server-side rendering</h1>
      <p className="lead">This page is rendered on every request.</p>
      <dl className="stat">
        <dt>Rendered at</dt>
        <dd id="time">{new Date().toISOString()}</dd>
        <dt>Your user agent</dt>
        <dd id="ua">{h.get('user-agent') ?? 'unknown'}</dd>
        <dt>Hello</dt>
        <dd id="name">{typeof name === 'string' ? name : 'anonymous'}</dd>
      </dl>
    </>
  );
}
