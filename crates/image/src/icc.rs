//! Colour profiles. An image with an embedded ICC profile (a Display P3 photo
//! from a phone, an Adobe RGB or CMYK print file) comes out in sRGB, the way
//! sharp outputs it: the profile is applied to the pixels (moxcms, its default
//! perceptual intent) and the output carries no profile. Without a
//! profile, or with one that cannot be read, the pixels are taken as sRGB.

use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// The ICC profile of a JPEG from its APP2 `ICC_PROFILE` segments (`data`
/// of each APP2 marker, in file order), joined in their sequence order.
pub fn jpeg_profile<'a>(app2: impl Iterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    const TAG: &[u8] = b"ICC_PROFILE\0";
    let mut chunks: Vec<(u8, &[u8])> =
        app2.filter(|d| d.len() > TAG.len() + 2 && d.starts_with(TAG)).map(|d| (d[TAG.len()], &d[TAG.len() + 2..])).collect();
    if chunks.is_empty() {
        return None;
    }
    chunks.sort_by_key(|c| c.0);
    Some(chunks.into_iter().flat_map(|c| c.1.iter().copied()).collect())
}

/// The `ICCP` chunk of an extended WebP file.
pub fn webp_profile(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return None;
    }
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        let body = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
        if id == b"ICCP" {
            return Some(body);
        }
        // Chunks are padded to an even size.
        at = (at + 8).checked_add(len + (len & 1))?;
    }
    None
}

/// Colours that show whether a transform changes anything: greys, primaries, mixes.
const PROBE: [[u8; 3]; 12] = [
    [0, 0, 0],
    [64, 64, 64],
    [128, 128, 128],
    [255, 255, 255],
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [200, 40, 10],
    [20, 180, 60],
    [30, 60, 220],
    [250, 220, 120],
    [90, 30, 140],
];

/// Whether a transform from an RGB profile to sRGB (of RGB, or of RGBA when
/// `alpha`) leaves every probe colour within one step: the profile is sRGB (or
/// as good as), and the pixels stay.
fn is_identity(t: &moxcms::Transform8BitExecutor, alpha: bool) -> bool {
    let src: Vec<u8> = PROBE.iter().flat_map(|c| c.iter().copied().chain(alpha.then_some(255))).collect();
    let mut out = vec![0u8; src.len()];
    t.transform(&src, &mut out).is_ok() && src.iter().zip(&out).all(|(a, b)| a.abs_diff(*b) <= 1)
}

/// Converts RGB (`alpha` false) or RGBA samples described by `icc` to sRGB in
/// place. Returns whether anything was converted: not for sRGB itself, a
/// profile that is not RGB, or one moxcms cannot use.
pub fn rgb_to_srgb(data: &mut [u8], alpha: bool, icc: &[u8]) -> bool {
    let Ok(profile) = ColorProfile::new_from_slice(icc) else { return false };
    if profile.color_space != DataColorSpace::Rgb {
        return false;
    }
    let layout = if alpha { Layout::Rgba } else { Layout::Rgb };
    let Ok(t) = profile.create_transform_8bit(layout, &ColorProfile::new_srgb(), layout, TransformOptions::default()) else { return false };
    if is_identity(t.as_ref(), alpha) {
        return false;
    }
    let src = data.to_vec();
    t.transform(&src, data).is_ok()
}

/// CMYK samples (4 bytes a pixel; `inverted` for Adobe's files, which store
/// 255 for no ink) to sRGB through the CMYK profile `icc`, or `None` when the
/// profile is not a CMYK one moxcms can use.
pub fn cmyk_to_srgb(cmyk: &[u8], inverted: bool, icc: &[u8]) -> Option<Vec<u8>> {
    let profile = ColorProfile::new_from_slice(icc).ok()?;
    if profile.color_space != DataColorSpace::Cmyk {
        return None;
    }
    let t = profile.create_transform_8bit(Layout::Rgba, &ColorProfile::new_srgb(), Layout::Rgb, TransformOptions::default()).ok()?;
    let src: Vec<u8> = if inverted { cmyk.iter().map(|v| 255 - v).collect() } else { cmyk.to_vec() };
    let mut out = vec![0u8; cmyk.len() / 4 * 3];
    t.transform(&src, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_jpeg_chunks_in_order() {
        let a: &[u8] = b"ICC_PROFILE\0\x02\x02world";
        let b: &[u8] = b"ICC_PROFILE\0\x01\x02hello ";
        let other: &[u8] = b"MPF\0xx";
        assert_eq!(jpeg_profile([a, other, b].into_iter()).unwrap(), b"hello world");
        assert_eq!(jpeg_profile([other].into_iter()), None);
    }

    #[test]
    fn finds_the_webp_iccp_chunk() {
        let mut f = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0".to_vec();
        f.extend([0u8; 10]);
        f.extend(b"ICCP\x03\0\0\0abc\0");
        f.extend(b"VP8 \x02\0\0\0zz");
        assert_eq!(webp_profile(&f), Some(&b"abc"[..]));
        assert_eq!(webp_profile(b"RIFF\0\0\0\0WEBPVP8 \x02\0\0\0zz"), None);
    }

    #[test]
    fn srgb_is_left_alone_and_a_wide_gamut_red_is_mapped() {
        let srgb = ColorProfile::new_srgb().encode().unwrap();
        let mut px = vec![200, 10, 10];
        assert!(!rgb_to_srgb(&mut px, false, &srgb));
        assert_eq!(px, [200, 10, 10]);
        // Display P3's pure red lies outside sRGB: clipped to sRGB's red.
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let mut red = vec![255, 0, 0, 128];
        assert!(rgb_to_srgb(&mut red, true, &p3));
        assert!(red[0] == 255 && red[1] < 20 && red[2] < 20 && red[3] == 128, "{red:?}");
        // A P3 mid grey stays grey.
        let mut grey = vec![128, 128, 128];
        assert!(rgb_to_srgb(&mut grey, false, &p3));
        assert!(grey.iter().all(|&v| v.abs_diff(128) <= 1), "{grey:?}");
        assert!(!rgb_to_srgb(&mut grey, false, b"not a profile"));
    }
}
