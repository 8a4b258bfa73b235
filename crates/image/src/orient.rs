//! EXIF orientation: read from a JPEG's APP1 segment and applied to the
//! pixels, as sharp's `rotate()` with no angle does.

use crate::decode::Pixels;

/// The eight EXIF orientations (tag 0x0112).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// 1: as stored.
    Normal,
    /// 2: mirrored left to right.
    FlipH,
    /// 3: turned 180°.
    Rotate180,
    /// 4: mirrored top to bottom.
    FlipV,
    /// 5: mirrored along the top-left diagonal.
    Transpose,
    /// 6: to be turned 90° clockwise.
    Rotate90,
    /// 7: mirrored along the top-right diagonal.
    Transverse,
    /// 8: to be turned 90° counter-clockwise.
    Rotate270,
}

impl Orientation {
    /// From the tag's value; anything else is `Normal`.
    pub fn from_tag(v: u16) -> Self {
        match v {
            2 => Orientation::FlipH,
            3 => Orientation::Rotate180,
            4 => Orientation::FlipV,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => Orientation::Normal,
        }
    }

    /// Whether width and height trade places.
    pub fn swaps_axes(self) -> bool {
        matches!(self, Orientation::Transpose | Orientation::Rotate90 | Orientation::Transverse | Orientation::Rotate270)
    }
}

/// The orientation in an APP1 segment's payload (`Exif\0\0` + TIFF), if it has one.
pub fn exif_orientation(app1: &[u8]) -> Option<Orientation> {
    let tiff = app1.strip_prefix(b"Exif\0\0")?;
    let le = match tiff.get(0..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if le { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)? as usize;
    (0..count.min(512)).find_map(|i| {
        let entry = ifd + 2 + i * 12;
        // SHORT (type 3), one value, held in the entry's first two value bytes.
        (u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3).then(|| u16_at(entry + 8).map(Orientation::from_tag))?
    })
}

/// The pixels turned upright.
pub fn apply(p: Pixels, o: Orientation) -> Pixels {
    if o == Orientation::Normal {
        return p;
    }
    let (w, h) = (p.width as usize, p.height as usize);
    let (ow, oh) = if o.swaps_axes() { (h, w) } else { (w, h) };
    let c = p.channels();
    let mut out = vec![0u8; p.data.len()];
    for y in 0..oh {
        for x in 0..ow {
            // The stored pixel shown at (x, y).
            let (sx, sy) = match o {
                Orientation::Normal => (x, y),
                Orientation::FlipH => (w - 1 - x, y),
                Orientation::Rotate180 => (w - 1 - x, h - 1 - y),
                Orientation::FlipV => (x, h - 1 - y),
                Orientation::Transpose => (y, x),
                Orientation::Rotate90 => (y, h - 1 - x),
                Orientation::Transverse => (w - 1 - y, h - 1 - x),
                Orientation::Rotate270 => (w - 1 - y, x),
            };
            let (d, s) = ((y * ow + x) * c, (sy * w + sx) * c);
            out[d..d + c].copy_from_slice(&p.data[s..s + c]);
        }
    }
    Pixels { rgbx: false, width: ow as u32, height: oh as u32, alpha: p.alpha, data: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exif(le: bool, value: u16) -> Vec<u8> {
        let mut v = b"Exif\0\0".to_vec();
        let w16 = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let w32 = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        v.extend(if le { b"II*\0" } else { b"MM\0*" });
        v.extend(w32(8));
        v.extend(w16(1));
        v.extend(w16(0x0112));
        v.extend(w16(3));
        v.extend(w32(1));
        v.extend(w16(value));
        v.extend([0, 0]);
        v
    }

    #[test]
    fn reads_both_byte_orders() {
        assert_eq!(exif_orientation(&exif(true, 6)), Some(Orientation::Rotate90));
        assert_eq!(exif_orientation(&exif(false, 8)), Some(Orientation::Rotate270));
        assert_eq!(exif_orientation(b"Exif\0\0II*\0\xff\xff\xff\xff"), None, "a bad offset is no orientation");
        assert_eq!(exif_orientation(b"http://ns.adobe.com/xap/1.0/"), None);
    }

    #[test]
    fn rotates_90_clockwise() {
        // A stored row [1 2] turned clockwise is a column with 1 on top.
        let p = Pixels { rgbx: false, width: 2, height: 1, alpha: false, data: vec![1, 1, 1, 2, 2, 2] };
        let r = apply(p, Orientation::Rotate90);
        assert_eq!((r.width, r.height), (1, 2));
        assert_eq!(r.data, vec![1, 1, 1, 2, 2, 2]);
        let p = Pixels { rgbx: false, width: 1, height: 2, alpha: false, data: vec![1, 1, 1, 2, 2, 2] };
        let r = apply(p, Orientation::Rotate90);
        assert_eq!((r.width, r.height), (2, 1));
        assert_eq!(r.data, vec![2, 2, 2, 1, 1, 1], "turned clockwise, the bottom pixel comes to the left");
    }
}
