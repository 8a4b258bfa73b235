// Loads a function's native addons for the machine it runs on and prints, as
// JSON, what they decide: the Router's answers for each request of `requests`
// (compiled from the function's routing.json) and the image stage's output for
// each image. Run under x64 Node and under arm64 Node (qemu) by arm64.test.mjs,
// which compares the two.
//
//   node addon-probe.cjs <server function dir> <image function dir> <requests.json> <image>...
const fs = require("node:fs");
const path = require("node:path");

const [serverDir, imageDir, requestsFile, ...images] = process.argv.slice(2);

function addon(dir, stem) {
  const target = process.platform === "linux" ? `linux-${process.arch}-gnu` : `${process.platform}-${process.arch}`;
  const file = path.join(dir, `${stem}.${target}.node`);
  const t0 = performance.now();
  const loaded = require(file);
  return { loaded, file: path.basename(file), loadMs: performance.now() - t0 };
}

async function main() {
  const router = addon(serverDir, "open-next-runtime");
  const table = new router.loaded.Router(fs.readFileSync(path.join(serverDir, "routing.json"), "utf8"));
  const requests = JSON.parse(fs.readFileSync(requestsFile, "utf8"));
  const decisions = requests.map((r) => {
    const headers = Object.entries({ host: "localhost", ...(r.headers ?? {}) }).map(([k, v]) => [k.toLowerCase(), String(v)]);
    try {
      return table.resolve(`http://localhost${r.path}`, headers);
    } catch (e) {
      return { error: e.message };
    }
  });
  const image = addon(imageDir, "open-next-image");
  const optimized = [];
  for (const file of images) {
    for (const contentType of ["image/webp", "image/jpeg", "image/png"]) {
      const out = await image.loaded.optimizeImage(fs.readFileSync(file), { width: 128, quality: 75, contentType });
      optimized.push({
        file: path.basename(file),
        contentType: out.contentType,
        width: out.width,
        height: out.height,
        bytes: out.data.length,
      });
    }
  }
  process.stdout.write(
    JSON.stringify({
      arch: process.arch,
      addons: [router.file, image.file],
      loadMs: { router: router.loadMs, image: image.loadMs },
      decisions,
      optimized,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
