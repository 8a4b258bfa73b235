import Link from 'next/link';

export default function NotFound() {
  return (
    <>
      <h1>404</h1>
      <p className="lead">This page could not be found.</p>
      <Link href="/">Back home</Link>
    </>
  );
}
