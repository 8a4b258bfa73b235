export const revalidate = 10;

export default function IsrPage() {
  const now = new Date();
  return (
    <>
      <h1>Incremental Static Regeneration</h1>
      <p className="lead">
        This page is cached and regenerated at most every 10 seconds. Reload a
        few times: the timestamp only changes after it goes stale.
      </p>
      <dl className="stat">
        <dt>Generated at</dt>
        <dd id="time">{now.toISOString()}</dd>
        <dt>Epoch ms</dt>
        <dd id="epoch">{now.getTime()}</dd>
      </dl>
    </>
  );
}
