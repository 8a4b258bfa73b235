import Link from 'next/link';
import './globals.css';

export const metadata = {
  title: 'open-next-rs basic example',
  description: 'A small Next.js app deployed with open-next-rs',
  icons: { icon: '/logo.svg' },
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        <header>
          <div className="container">
            <Link href="/" className="brand">
              <img src="/logo.svg" alt="" width={28} height={28} />
              open-next-rs
            </Link>
            <nav>
              <Link href="/isr">ISR</Link>
              <Link href="/ssr">SSR</Link>
              <a href="/api/hello">API</a>
            </nav>
          </div>
        </header>
        <main className="container">{children}</main>
        <footer>
          <div className="container">Built with Next.js and open-next-rs.</div>
        </footer>
      </body>
    </html>
  );
}
