//! One tesseract engine, through tesseract's C API, and the images it reads.
//!
//! An [`Engine`] is not `Send`: tesseract keeps per-thread state, so each engine
//! lives and dies on the thread that created it ([`crate::pool`]).
//! Recognition runs under an `ETEXT_DESC` monitor whose deadline makes tesseract
//! abandon a page that takes longer than the time limit.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};
use std::path::Path;
use std::ptr;
use std::time::Duration;

use leptonica_sys::{
    pixDestroy, pixGetHeight, pixGetWidth, pixGetXRes, pixReadHeaderMem, pixReadMem, pixRotateOrth, pixSetResolution,
    Pix,
};
use tesseract_sys::{
    TessBaseAPI, TessBaseAPICreate, TessBaseAPIDelete, TessBaseAPIDetectOrientationScript, TessBaseAPIEnd,
    TessBaseAPIGetHOCRText, TessBaseAPIGetUTF8Text, TessBaseAPIInit2, TessBaseAPIRecognize, TessBaseAPISetImage2,
    TessBaseAPISetPageSegMode, TessBaseAPISetRectangle, TessBaseAPISetSourceResolution, TessDeleteText,
    TessMonitorCreate, TessMonitorDelete, TessMonitorSetDeadlineMSecs, TessOcrEngineMode,
    TessOcrEngineMode_OEM_DEFAULT, TessOcrEngineMode_OEM_TESSERACT_ONLY, TessVersion,
};

use crate::messages;

/// Resolutions tesseract accepts as real; outside them it guesses.
const CREDIBLE_DPI: std::ops::RangeInclusive<i32> = 70..=2400;
/// Widest page believed at the resolution an image claims, in inches. A page
/// wider than this means the resolution is wrong, as in a 400 dpi scan that
/// claims 96 dpi.
const MAX_PAGE_WIDTH_INCHES: i32 = 20;
/// Orientation confidence below which OSD's result is ignored and the page is
/// read as it is. tesseract's own `min_orientation_margin` default is 7.
/// NOTE: 2.0 is chosen by hand; only the one rotated test page has checked it.
const MIN_ORIENTATION_CONFIDENCE: f32 = 2.0;

/// Error of loading or recognising a page.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    InvalidImage(String),
    #[error("{0}")]
    ImageTooLarge(String),
    #[error("{0}")]
    InvalidOptions(String),
    #[error("{0}")]
    Init(String),
    #[error("{0}")]
    TimedOut(String),
    #[error("{0}")]
    Failed(String),
    /// The engine threads stopped (a worker shutting down) or one of them died.
    #[error("{0}")]
    Unavailable(String),
}

/// Options of one recognition, as Wikimedia OCR names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOptions {
    /// tesseract languages joined with `+`, such as `fra` or `deu+lat`.
    pub languages: String,
    /// Page segmentation mode, 0 to 13; the tesseract command line's default is 3.
    pub psm: u8,
    /// Rectangle to read, in image pixels; `None` reads the whole image.
    pub crop: Option<Crop>,
}

/// Output format of a recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// UTF-8 lines, as the tesseract command line's `txt` output.
    Text,
    /// The `ocr_page` element of tesseract's hOCR (`TessBaseAPIGetHOCRText`
    /// with page number 0), boxes in pixels of the image given to tesseract.
    Hocr,
}

/// A rectangle of an image, in pixels from the top left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crop {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Crop {
    /// Formats the rectangle as `x,y,width,height`, the form of cache keys.
    pub fn key(&self) -> String {
        format!("{},{},{},{}", self.x, self.y, self.width, self.height)
    }
}

/// Returns the version of the linked libtesseract, such as `5.3.0`.
pub fn tesseract_version() -> String {
    // SAFETY: TessVersion returns a pointer to a static NUL-terminated string.
    unsafe { CStr::from_ptr(TessVersion()) }.to_string_lossy().into_owned()
}

/// Reads width and height from the image header without decoding the pixels, so
/// that a decompression bomb is rejected before it takes memory.
pub fn image_dimensions(bytes: &[u8]) -> Result<(u32, u32), EngineError> {
    let (mut format, mut width, mut height, mut bits, mut samples, mut colormap) = (0, 0, 0, 0, 0, 0);
    // SAFETY: the pointer and length describe `bytes`, and every out-pointer is a live local.
    let status = unsafe {
        pixReadHeaderMem(
            bytes.as_ptr(),
            bytes.len(),
            &mut format,
            &mut width,
            &mut height,
            &mut bits,
            &mut samples,
            &mut colormap,
        )
    };
    if status != 0 || width <= 0 || height <= 0 {
        return Err(EngineError::InvalidImage(messages::unreadable_image_header(
            bytes.len(),
        )));
    }
    Ok((width as u32, height as u32))
}

/// A decoded image (a leptonica `Pix`), destroyed on drop.
pub struct Image {
    pix: *mut Pix,
}

impl Image {
    /// Decodes an image after checking from its header that it has at most `max_pixels` pixels.
    pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<Image, EngineError> {
        let (width, height) = image_dimensions(bytes)?;
        let pixels = u64::from(width) * u64::from(height);
        if pixels > max_pixels {
            return Err(EngineError::ImageTooLarge(messages::image_too_many_pixels(
                width, height, max_pixels,
            )));
        }
        // SAFETY: leptonica copies what it needs from the buffer; null means failure.
        let pix = unsafe { pixReadMem(bytes.as_ptr(), bytes.len()) };
        if pix.is_null() {
            return Err(EngineError::InvalidImage(messages::undecodable_image(bytes.len())));
        }
        Ok(Image { pix })
    }

    pub fn width(&self) -> u32 {
        // SAFETY: `pix` is a live Pix owned by self.
        unsafe { pixGetWidth(self.pix) as u32 }
    }

    pub fn height(&self) -> u32 {
        // SAFETY: as in `width`.
        unsafe { pixGetHeight(self.pix) as u32 }
    }

    /// Returns the horizontal resolution stored in the image, 0 when there is none.
    pub fn stored_dpi(&self) -> i32 {
        // SAFETY: as in `width`.
        unsafe { pixGetXRes(self.pix) }
    }

    /// Returns the resolution to give tesseract: the stored one when it can be a
    /// scan's, otherwise `default_dpi`, or `None` when `default_dpi` is 0.
    pub fn effective_dpi(&self, default_dpi: u32) -> Option<i32> {
        let stored = self.stored_dpi();
        let credible = CREDIBLE_DPI.contains(&stored) && (self.width() as i32) / stored <= MAX_PAGE_WIDTH_INCHES;
        if credible {
            Some(stored)
        } else if default_dpi > 0 {
            Some(default_dpi as i32)
        } else {
            None
        }
    }

    /// Clears the stored resolution. tesseract 5.3 then estimates the resolution
    /// from the height of the text lines ("Estimating resolution as …"), as it
    /// does for an image without one.
    pub fn clear_resolution(&mut self) {
        // SAFETY: `pix` is a live Pix owned by self.
        unsafe { pixSetResolution(self.pix, 0, 0) };
    }

    /// Returns the image turned clockwise by `quarter_turns` × 90°.
    fn rotated(&self, quarter_turns: i32) -> Result<Image, EngineError> {
        // SAFETY: pixRotateOrth returns a new Pix (or null) and leaves `self.pix` untouched.
        let pix = unsafe { pixRotateOrth(self.pix, quarter_turns) };
        if pix.is_null() {
            return Err(EngineError::Failed(messages::rotation_failed()));
        }
        Ok(Image { pix })
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: `pix` is owned by self and destroyed once; pixDestroy nulls the pointer.
        unsafe { pixDestroy(&mut self.pix) };
    }
}

/// A `TessBaseAPI` handle initialised with one language set.
pub struct Engine {
    handle: *mut TessBaseAPI,
    languages: String,
    pages: u32,
}

impl Engine {
    /// Loads `languages` (such as `fra` or `deu+lat`) from `tessdata_dir` with the
    /// LSTM engine, as the tesseract command line does by default.
    pub fn new(tessdata_dir: &Path, languages: &str) -> Result<Engine, EngineError> {
        Self::with_mode(tessdata_dir, languages, TessOcrEngineMode_OEM_DEFAULT)
    }

    fn with_mode(tessdata_dir: &Path, languages: &str, mode: TessOcrEngineMode) -> Result<Engine, EngineError> {
        let datapath = CString::new(tessdata_dir.to_string_lossy().as_bytes())
            .map_err(|_| EngineError::Init(messages::invalid_tessdata_dir(tessdata_dir)))?;
        let language = CString::new(languages).map_err(|_| EngineError::Init(messages::invalid_language(languages)))?;
        // SAFETY: TessBaseAPICreate returns a new handle, which `Engine` owns and ends in Drop.
        let handle = unsafe { TessBaseAPICreate() };
        let engine = Engine {
            handle,
            languages: languages.to_owned(),
            pages: 0,
        };
        // SAFETY: the handle is live and both strings outlive the call.
        let status = unsafe { TessBaseAPIInit2(handle, datapath.as_ptr(), language.as_ptr(), mode) };
        if status != 0 {
            return Err(EngineError::Init(messages::engine_init_failed(languages, tessdata_dir)));
        }
        Ok(engine)
    }

    pub fn languages(&self) -> &str {
        &self.languages
    }

    /// Returns the number of pages this engine has recognised.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Recognises `image` and returns its text as the tesseract 5.3 command line
    /// writes it for one page: UTF-8 lines, without the `\f` page separator,
    /// which tesseract 5 writes only between pages.
    pub fn recognize(
        &mut self,
        image: &Image,
        options: &PageOptions,
        dpi: Option<i32>,
        deadline: Duration,
    ) -> Result<String, EngineError> {
        self.recognize_as(image, options, dpi, deadline, Output::Text)
    }

    /// Recognises `image` and returns the result in the form `output` names.
    pub fn recognize_as(
        &mut self,
        image: &Image,
        options: &PageOptions,
        dpi: Option<i32>,
        deadline: Duration,
        output: Output,
    ) -> Result<String, EngineError> {
        if options.psm > 13 {
            return Err(EngineError::InvalidOptions(messages::invalid_psm(options.psm)));
        }
        self.pages += 1;
        // SAFETY: the handle is live; SetImage2 copies the Pix reference it needs for this page.
        unsafe {
            TessBaseAPISetPageSegMode(self.handle, u32::from(options.psm));
            TessBaseAPISetImage2(self.handle, image.pix);
            if let Some(dpi) = dpi {
                TessBaseAPISetSourceResolution(self.handle, dpi);
            }
        }
        if let Some(crop) = options.crop {
            check_crop(crop, image)?;
            // SAFETY: the handle is live and the rectangle lies inside the image.
            unsafe {
                TessBaseAPISetRectangle(
                    self.handle,
                    crop.x as c_int,
                    crop.y as c_int,
                    crop.width as c_int,
                    crop.height as c_int,
                )
            };
        }

        let monitor = Monitor::with_deadline(deadline);
        // SAFETY: the handle and the monitor are live for the whole call.
        let status = unsafe { TessBaseAPIRecognize(self.handle, monitor.raw) };
        if status != 0 {
            return Err(if monitor.elapsed_past_deadline() {
                EngineError::TimedOut(messages::page_timed_out(deadline))
            } else {
                EngineError::Failed(messages::recognition_failed(&self.languages))
            });
        }
        // SAFETY: both getters read the page just recognised and return a new
        // NUL-terminated string or null; it is freed with TessDeleteText.
        let text = unsafe {
            let raw: *mut c_char = match output {
                Output::Text => TessBaseAPIGetUTF8Text(self.handle),
                Output::Hocr => TessBaseAPIGetHOCRText(self.handle, 0),
            };
            if raw.is_null() {
                return Err(EngineError::Failed(messages::recognition_failed(&self.languages)));
            }
            let text = CStr::from_ptr(raw).to_string_lossy().into_owned();
            TessDeleteText(raw);
            text
        };
        Ok(text)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the handle is owned by self; End releases the models, Delete the handle.
        unsafe {
            TessBaseAPIEnd(self.handle);
            TessBaseAPIDelete(self.handle);
        }
    }
}

fn check_crop(crop: Crop, image: &Image) -> Result<(), EngineError> {
    let fits = crop.width > 0
        && crop.height > 0
        && u64::from(crop.x) + u64::from(crop.width) <= u64::from(image.width())
        && u64::from(crop.y) + u64::from(crop.height) <= u64::from(image.height());
    if fits {
        Ok(())
    } else {
        Err(EngineError::InvalidOptions(messages::crop_outside_image(
            &crop.key(),
            image.width(),
            image.height(),
        )))
    }
}

/// An `ETEXT_DESC` progress monitor with a deadline, deleted on drop.
struct Monitor {
    raw: *mut tesseract_sys::ETEXT_DESC,
    started: std::time::Instant,
    deadline: Duration,
}

impl Monitor {
    fn with_deadline(deadline: Duration) -> Monitor {
        let milliseconds = deadline.as_millis().min(i32::MAX as u128) as c_int;
        // SAFETY: TessMonitorCreate returns a new monitor owned by the returned value.
        let raw = unsafe { TessMonitorCreate() };
        // SAFETY: `raw` is live; the deadline counts from this call.
        unsafe { TessMonitorSetDeadlineMSecs(raw, milliseconds) };
        Monitor {
            raw,
            started: std::time::Instant::now(),
            deadline,
        }
    }

    fn elapsed_past_deadline(&self) -> bool {
        self.started.elapsed() >= self.deadline
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        // SAFETY: the monitor is owned by self and deleted once.
        unsafe { TessMonitorDelete(self.raw) };
    }
}

/// tesseract's orientation and script detection (`osd.traineddata`, legacy engine).
pub struct OrientationDetector {
    engine: Engine,
}

impl OrientationDetector {
    pub fn new(tessdata_dir: &Path) -> Result<OrientationDetector, EngineError> {
        let engine = Engine::with_mode(tessdata_dir, "osd", TessOcrEngineMode_OEM_TESSERACT_ONLY)?;
        Ok(OrientationDetector { engine })
    }

    /// Returns `image` turned upright, with the clockwise quarter turns applied,
    /// when OSD detects with enough confidence that it is turned; `None` when it
    /// is upright or OSD cannot tell.
    pub fn upright(&mut self, image: &Image, dpi: Option<i32>) -> Result<Option<(Image, i32)>, EngineError> {
        let handle = self.engine.handle;
        let (mut degrees, mut confidence, mut script_confidence): (c_int, f32, f32) = (0, 0.0, 0.0);
        let mut script: *const c_char = ptr::null();
        // SAFETY: the handle is live, the image outlives the call, and every out-pointer is a live local.
        let detected = unsafe {
            TessBaseAPISetPageSegMode(handle, 0);
            TessBaseAPISetImage2(handle, image.pix);
            if let Some(dpi) = dpi {
                TessBaseAPISetSourceResolution(handle, dpi);
            }
            TessBaseAPIDetectOrientationScript(
                handle,
                &mut degrees,
                &mut confidence,
                &mut script,
                &mut script_confidence,
            )
        };
        if detected == 0 || degrees == 0 || confidence < MIN_ORIENTATION_CONFIDENCE {
            return Ok(None);
        }
        // OSD reports the clockwise angle by which the page is turned; turning it
        // back by the same angle counter-clockwise is (360 - degrees) clockwise.
        let quarter_turns = ((360 - degrees) / 90) % 4;
        tracing::debug!(degrees, confidence, quarter_turns, "page turned upright");
        image.rotated(quarter_turns).map(|image| Some((image, quarter_turns)))
    }
}
