//! TIFF input (the first page), as sharp reads it through libtiff: 8- or
//! 16-bit grey, grey with alpha, RGB, RGBA and CMYK; uncompressed, PackBits,
//! LZW or Deflate (JPEG-in-TIFF and CCITT fax, rare on the web, are refused,
//! so Next serves the original). The `Orientation` tag turns it as EXIF would, and an
//! embedded ICC profile (tag 34675) is applied as for the other formats.

use crate::decode::{check_pixels, cmyk_to_rgb, Decoded, Pixels};
use crate::error::{guarded, ImageError, Result};
use crate::icc;
use crate::orient::Orientation;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::Tag;
use tiff::ColorType;

fn fail(message: String) -> ImageError {
    ImageError::Decode { format: "TIFF", message }
}

/// 16-bit samples to 8-bit, rounded (65535 → 255).
fn narrow(samples: &[u16]) -> Vec<u8> {
    samples.iter().map(|&v| ((u32::from(v) * 255 + 32767) / 65535) as u8).collect()
}

/// Decodes the first page of a TIFF file into 8-bit RGB or RGBA.
pub(crate) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded> {
    guarded(fail, || {
        let mut d = Decoder::new(std::io::Cursor::new(bytes)).map_err(|e| fail(e.to_string()))?;
        let (w, h) = d.dimensions().map_err(|e| fail(e.to_string()))?;
        check_pixels(w.into(), h.into(), max_pixels)?;
        let color = d.colortype().map_err(|e| fail(e.to_string()))?;
        let orientation = d.find_tag_unsigned::<u16>(Tag::Orientation).ok().flatten().map_or(Orientation::Normal, Orientation::from_tag);
        let profile = d.get_tag_u8_vec(Tag::IccProfile).ok();
        // PhotometricInterpretation 0: grey with 0 as white.
        let white_is_zero = d.find_tag_unsigned::<u16>(Tag::PhotometricInterpretation).ok().flatten() == Some(0);
        let samples = match d.read_image().map_err(|e| fail(e.to_string()))? {
            DecodingResult::U8(v) => v,
            DecodingResult::U16(v) => narrow(&v),
            _ => return Err(fail(format!("{color:?} samples that are not 8- or 16-bit unsigned integers are not supported"))),
        };
        let (alpha, mut data) = match color {
            ColorType::Gray(8 | 16) => {
                let grey = samples.iter().map(|&g| if white_is_zero { 255 - g } else { g });
                (false, grey.flat_map(|g| [g, g, g]).collect::<Vec<u8>>())
            }
            ColorType::GrayA(8 | 16) => (true, samples.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect()),
            ColorType::RGB(8 | 16) => (false, samples),
            ColorType::RGBA(8 | 16) => (true, samples),
            ColorType::CMYK(8 | 16) => {
                let rgb = profile.as_deref().and_then(|p| icc::cmyk_to_srgb(&samples, false, p));
                (false, rgb.unwrap_or_else(|| cmyk_to_rgb(&samples, false)))
            }
            other => return Err(fail(format!("{other:?} images are not supported (grey, RGB, RGBA or CMYK are)"))),
        };
        let channels = if alpha { 4 } else { 3 };
        if data.len() != w as usize * h as usize * channels {
            return Err(fail(format!("{} samples for a {w}×{h} image", data.len())));
        }
        // CMYK went through its profile above; a grey one does not apply to RGB samples.
        if let Some(p) = profile.as_deref().filter(|_| matches!(color, ColorType::RGB(_) | ColorType::RGBA(_))) {
            icc::rgb_to_srgb(&mut data, alpha, p);
        }
        Ok(Decoded { pixels: Pixels { rgbx: false, width: w, height: h, alpha, data }, orientation })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiff::encoder::{colortype, TiffEncoder};

    fn encode<C: colortype::ColorType<Inner = u8>>(w: u32, h: u32, data: &[u8], orientation: Option<u16>) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut enc = TiffEncoder::new(&mut out).unwrap();
        let mut image = enc.new_image::<C>(w, h).unwrap();
        if let Some(o) = orientation {
            image.encoder().write_tag(Tag::Orientation, o).unwrap();
        }
        image.write_data(data).unwrap();
        out.into_inner()
    }

    #[test]
    fn rgb_grey_and_rgba_come_out_as_rgb_or_rgba() {
        let rgb = encode::<colortype::RGB8>(2, 1, &[255, 0, 0, 0, 0, 255], Some(6));
        let d = decode(&rgb, 0).unwrap();
        assert_eq!((d.pixels.width, d.pixels.height, d.pixels.alpha), (2, 1, false));
        assert_eq!(d.pixels.data, [255, 0, 0, 0, 0, 255]);
        assert!(d.orientation.swaps_axes(), "orientation 6 read from the tag");
        let grey = decode(&encode::<colortype::Gray8>(2, 1, &[10, 200], None), 0).unwrap();
        assert_eq!(grey.pixels.data, [10, 10, 10, 200, 200, 200]);
        let rgba = decode(&encode::<colortype::RGBA8>(1, 1, &[1, 2, 3, 4], None), 0).unwrap();
        assert!(rgba.pixels.alpha);
        assert_eq!(rgba.pixels.data, [1, 2, 3, 4]);
    }

    #[test]
    fn limits_and_corrupt_files_are_errors() {
        let big = encode::<colortype::Gray8>(40, 40, &[0; 1600], None);
        assert!(matches!(decode(&big, 1000), Err(ImageError::TooManyPixels { .. })));
        assert!(matches!(decode(&big[..big.len() / 2], 0), Err(ImageError::Decode { format: "TIFF", .. })));
        assert!(matches!(decode(b"II*\0\x08\0\0\0\xff\xff", 0), Err(ImageError::Decode { format: "TIFF", .. })));
    }
}
