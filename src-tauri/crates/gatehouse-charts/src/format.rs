//! The file formats charts export to, and the PNG encoding of a rendered bitmap.

use std::path::Path;

use image::{codecs::png::PngEncoder, ColorType, ImageEncoder};

use crate::error::ChartError;

/// The format a chart is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics, drawn at the layout's own size.
    Svg,
    /// A PNG bitmap, drawn at twice the layout's size so it stays crisp in documents.
    Png,
}

impl Format {
    /// The format named by a path's extension (`svg` or `png`, in any case), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?;
        if ext.eq_ignore_ascii_case("svg") {
            Some(Format::Svg)
        } else if ext.eq_ignore_ascii_case("png") {
            Some(Format::Png)
        } else {
            None
        }
    }

    /// How many output pixels one layout unit takes.
    pub(crate) fn scale(self) -> f64 {
        match self {
            Format::Svg => 1.0,
            Format::Png => 2.0,
        }
    }
}

/// Encodes a raw RGB buffer of `width × height` pixels as a PNG file's bytes.
pub(crate) fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(rgb, width, height, ColorType::Rgb8)
        .map_err(|e| ChartError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: Option<Format>) {
        assert_eq!(Format::from_path(Path::new(path)), expected, "{path}");
    }

    #[test]
    fn the_extension_names_the_format_in_any_case() {
        check("loop.svg", Some(Format::Svg));
        check("docs/img/LOOP.SVG", Some(Format::Svg));
        check("loop.png", Some(Format::Png));
        check("loop.Png", Some(Format::Png));
        check("loop.jpg", None);
        check("loop", None);
        check("svg", None);
    }
}
