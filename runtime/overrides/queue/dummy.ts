/** Queue `dummy`: drops revalidation requests (stale pages stay stale until redeployed). */
import type { Queue } from "../../types/overrides.ts";
import { debug } from "../../utils/logger.ts";

const queue: Queue = {
  name: "dummy",
  async send(message) {
    debug("dummy queue: revalidation dropped", message.MessageBody.url);
  },
};

export default queue;
