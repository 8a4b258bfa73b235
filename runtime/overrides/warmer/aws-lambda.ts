/**
 * Warmer `aws-lambda`: for each `{function, concurrency}` of `WARM_PARAMS`
 * (JSON, as OpenNext's stacks set it), invokes the function `concurrency` times
 * at once (Lambda `Invoke`, `RequestResponse`, signed `fetch`) with a warmer
 * event. The server function answers it after `delay` ms without rendering, so
 * the calls overlap and land on distinct instances. Failures are logged per call;
 * the result says, per function, how many distinct instances answered.
 */
import { awsFetch, endpointFor } from "../../aws/client.ts";
import type { Warmer } from "../../types/overrides.ts";
import { debug, error } from "../../utils/logger.ts";

/** One entry of `WARM_PARAMS`. */
interface WarmParam {
  function: string;
  concurrency: number;
}

function warmParams(): WarmParam[] {
  const raw = process.env.WARM_PARAMS;
  if (!raw) throw new Error('warmer: WARM_PARAMS is not set; set it to JSON like [{"function":"<name>","concurrency":2}]');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`warmer: WARM_PARAMS is not JSON: ${raw.slice(0, 100)}`);
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every((p) => typeof p?.function === "string" && Number.isInteger(p?.concurrency) && p.concurrency > 0)
  ) {
    throw new Error("warmer: WARM_PARAMS must be a list of {function: string, concurrency: positive integer}");
  }
  return parsed as WarmParam[];
}

const warmer: Warmer = {
  name: "aws-lambda",
  async invoke(warmerId: string) {
    const region = process.env.AWS_REGION || "us-east-1";
    const warmed: Record<string, { sent: number; answered: number; instances: number }> = {};
    for (const { function: name, concurrency } of warmParams()) {
      const url = `${endpointFor("lambda", region)}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;
      const answers = await Promise.all(
        Array.from({ length: concurrency }, async (_, index) => {
          try {
            const res = await awsFetch(
              url,
              {
                method: "POST",
                headers: { "x-amz-invocation-type": "RequestResponse", "content-type": "application/json" },
                body: JSON.stringify({ type: "warmer", warmerId, index, concurrency, delay: 75 }),
              },
              { service: "lambda", region, what: `Lambda Invoke ${name} (warmer #${index})` },
            );
            const payload = await res.json();
            if (res.headers.get("x-amz-function-error") || payload?.type !== "warmer") {
              error(`warmer: ${name} #${index} did not answer as a warmed server:`, JSON.stringify(payload).slice(0, 300));
              return undefined;
            }
            return String(payload.serverId);
          } catch (e) {
            error(`warmer: cannot warm ${name} #${index}:`, (e as Error).message);
            return undefined;
          }
        }),
      );
      const ok = answers.filter((a): a is string => a !== undefined);
      warmed[name] = { sent: concurrency, answered: ok.length, instances: new Set(ok).size };
      debug("warmer", name, warmed[name]);
    }
    return warmed;
  },
};

export default warmer;
