//! The image stage on arbitrary bytes, as `/_next/image` hands it an upstream
//! body: any input decodes, resizes and encodes, or is an `ImageError`; no
//! panic escapes, nothing reads or writes out of bounds (ASan), and the pixel
//! limit holds before anything large is allocated.
//!
//! The codecs' own errors unwind inside the stage and are caught there, so the
//! fuzzer's abort-on-any-panic hook is replaced by a silent one: a panic that
//! leaves `optimize` still aborts (libfuzzer-sys catches it at the boundary).
#![no_main]
use libfuzzer_sys::fuzz_target;
use open_next_image::{optimize, OutputFormat, Transform};

fuzz_target!(|data: &[u8]| {
    // FUZZ_LOUD=1 keeps the hook, to see what a crash artifact panics with.
    static QUIET: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("FUZZ_LOUD").is_none() {
        QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    }
    let [w, f, rest @ ..] = data else { return };
    let format = [OutputFormat::Webp, OutputFormat::Jpeg, OutputFormat::Png, OutputFormat::Avif][usize::from(*f % 4)];
    let t = Transform { width: 1 + u32::from(*w % 64), quality: 1 + f / 4 % 100, format, max_input_pixels: 1 << 20, mozjpeg: f % 2 == 0 };
    if let Ok(out) = optimize(rest, &t) {
        assert!(out.width >= 1 && out.width <= t.width && out.height >= 1);
        assert!(!out.data.is_empty());
    }
});
