//! Dedicated OS threads, each owning its tesseract engines.
//!
//! tesseract engines must stay on the thread that created them, so the async job
//! handler sends each page to this pool and awaits the reply. A thread keeps one
//! engine per language set it has seen, up to [`ENGINES_PER_THREAD`], and ends an
//! engine after `pages_per_engine` pages, which returns the memory tesseract
//! accumulates. OpenMP must be limited to one thread through `OMP_THREAD_LIMIT=1`
//! in the environment before libtesseract starts (`phetools` sets it in `main`);
//! [`omp_thread_limit`] reports what the process has.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::oneshot;
use tracing::{debug, info, warn};

use crate::engine::{Engine, EngineError, Image, OrientationDetector, Output, PageOptions};
use crate::{messages, OcrConfig};

/// Language sets one thread keeps loaded; the least recently used one is ended beyond it.
const ENGINES_PER_THREAD: usize = 3;

/// A page to recognise.
struct Task {
    image: Bytes,
    options: PageOptions,
    output: Output,
    reply: oneshot::Sender<Result<PageText, EngineError>>,
}

/// The text of a page and how it was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageText {
    pub text: String,
    /// Resolution given to tesseract; `None` when tesseract estimated it.
    pub dpi: Option<i32>,
    /// Quarter turns clockwise applied before recognition (0 when upright).
    pub quarter_turns: i32,
    pub seconds: f64,
}

/// Counters of one engine thread, for the status page.
#[derive(Debug, Default)]
struct ThreadCounters {
    pages: AtomicU64,
    failures: AtomicU64,
    engines_created: AtomicU64,
}

/// Counters and memory of a worker process's OCR threads, for the status route.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerStatus {
    pub engine_threads: usize,
    pub pages: u64,
    pub failures: u64,
    pub engines_created: u64,
    /// Resident set size of the process (VmRSS), in KiB.
    pub resident_kib: Option<u64>,
    /// Peak resident set size of the process (VmHWM), in KiB.
    pub peak_resident_kib: Option<u64>,
    /// `OMP_THREAD_LIMIT` in the process environment.
    pub omp_thread_limit: Option<String>,
}

/// A fixed set of engine threads. Dropping the last clone stops the threads once
/// their current page is done.
#[derive(Clone)]
pub struct EnginePool {
    sender: Arc<Mutex<Option<mpsc::Sender<Task>>>>,
    counters: Arc<Vec<ThreadCounters>>,
    threads: usize,
}

impl EnginePool {
    /// Starts [`OcrConfig::effective_engine_threads`] threads.
    pub fn start(config: &OcrConfig) -> std::io::Result<EnginePool> {
        let threads = config.effective_engine_threads();
        let (sender, receiver) = mpsc::channel::<Task>();
        let receiver = Arc::new(Mutex::new(receiver));
        let counters: Arc<Vec<ThreadCounters>> = Arc::new((0..threads).map(|_| ThreadCounters::default()).collect());
        if omp_thread_limit().as_deref() != Some("1") {
            warn!("OMP_THREAD_LIMIT is not 1: each tesseract engine may start several OpenMP threads and the engine threads will compete for cores");
        }
        for index in 0..threads {
            let settings = ThreadSettings::from_config(config);
            let receiver = Arc::clone(&receiver);
            let counters = Arc::clone(&counters);
            std::thread::Builder::new()
                .name(format!("ocr-engine-{index}"))
                .spawn(move || run_thread(index, settings, receiver, counters))?;
        }
        info!(threads, "OCR engine threads started");
        Ok(EnginePool {
            sender: Arc::new(Mutex::new(Some(sender))),
            counters,
            threads,
        })
    }

    /// Recognises one page on the next free engine thread.
    pub async fn recognize(&self, image: Bytes, options: PageOptions) -> Result<PageText, EngineError> {
        self.submit(image, options, Output::Text).await
    }

    /// Recognises one page on the next free engine thread and returns the
    /// `ocr_page` element of its hOCR. Orientation detection is skipped: the
    /// boxes are pixels of `image` as given, never of a turned copy.
    pub async fn recognize_hocr(&self, image: Bytes, options: PageOptions) -> Result<PageText, EngineError> {
        self.submit(image, options, Output::Hocr).await
    }

    async fn submit(&self, image: Bytes, options: PageOptions, output: Output) -> Result<PageText, EngineError> {
        let (reply, response) = oneshot::channel();
        let task = Task {
            image,
            options,
            output,
            reply,
        };
        {
            let sender = self.sender.lock().expect("engine pool lock poisoned");
            let sent = sender.as_ref().map(|sender| sender.send(task));
            if !matches!(sent, Some(Ok(()))) {
                return Err(EngineError::Unavailable(messages::engine_pool_stopped()));
            }
        }
        response
            .await
            .unwrap_or_else(|_| Err(EngineError::Unavailable(messages::engine_thread_died())))
    }

    /// Stops accepting pages; the threads end after their current page.
    pub fn shutdown(&self) {
        self.sender.lock().expect("engine pool lock poisoned").take();
    }

    pub fn status(&self) -> WorkerStatus {
        let sum = |read: fn(&ThreadCounters) -> u64| self.counters.iter().map(read).sum();
        let memory = read_proc_status();
        WorkerStatus {
            engine_threads: self.threads,
            pages: sum(|counters| counters.pages.load(Ordering::Relaxed)),
            failures: sum(|counters| counters.failures.load(Ordering::Relaxed)),
            engines_created: sum(|counters| counters.engines_created.load(Ordering::Relaxed)),
            resident_kib: memory.get("VmRSS").copied(),
            peak_resident_kib: memory.get("VmHWM").copied(),
            omp_thread_limit: omp_thread_limit(),
        }
    }
}

/// Returns `OMP_THREAD_LIMIT` from the environment.
pub fn omp_thread_limit() -> Option<String> {
    std::env::var("OMP_THREAD_LIMIT").ok()
}

/// Reads the `kB` fields of `/proc/self/status` (VmRSS, VmHWM…).
fn read_proc_status() -> HashMap<String, u64> {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return HashMap::new();
    };
    status
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            let kib = value.trim().strip_suffix(" kB")?.trim().parse().ok()?;
            Some((name.to_owned(), kib))
        })
        .collect()
}

/// The part of [`OcrConfig`] an engine thread needs.
struct ThreadSettings {
    tessdata_dir: PathBuf,
    pages_per_engine: u32,
    page_timeout: Duration,
    default_dpi: u32,
    max_image_pixels: u64,
    detect_orientation: bool,
}

impl ThreadSettings {
    fn from_config(config: &OcrConfig) -> Self {
        ThreadSettings {
            tessdata_dir: config.tessdata_dir.clone(),
            pages_per_engine: config.pages_per_engine.max(1),
            page_timeout: Duration::from_secs(config.page_timeout_secs.max(1)),
            default_dpi: config.default_dpi,
            max_image_pixels: config.max_image_pixels,
            detect_orientation: config.detect_orientation,
        }
    }
}

/// The engines of one thread, by language set, most recently used last.
struct ThreadEngines {
    engines: Vec<Engine>,
    detector: Option<OrientationDetector>,
}

fn run_thread(
    index: usize,
    settings: ThreadSettings,
    receiver: Arc<Mutex<mpsc::Receiver<Task>>>,
    counters: Arc<Vec<ThreadCounters>>,
) {
    let counters = &counters[index];
    let mut engines = ThreadEngines {
        engines: Vec::new(),
        detector: None,
    };
    loop {
        let task = {
            let receiver = receiver.lock().expect("engine queue lock poisoned");
            receiver.recv()
        };
        let Ok(task) = task else {
            debug!(thread = index, "OCR engine thread stopping");
            return;
        };
        let result = recognize_page(&settings, &mut engines, counters, &task);
        counters.pages.fetch_add(1, Ordering::Relaxed);
        if result.is_err() {
            counters.failures.fetch_add(1, Ordering::Relaxed);
        }
        let _ = task.reply.send(result);
    }
}

fn recognize_page(
    settings: &ThreadSettings,
    engines: &mut ThreadEngines,
    counters: &ThreadCounters,
    task: &Task,
) -> Result<PageText, EngineError> {
    let started = Instant::now();
    let options = &task.options;
    let mut image = Image::decode(&task.image, settings.max_image_pixels)?;
    let dpi = image.effective_dpi(settings.default_dpi);
    if dpi.is_none() {
        image.clear_resolution();
    }

    let mut quarter_turns = 0;
    let upright = if settings.detect_orientation && options.crop.is_none() && task.output == Output::Text {
        let detector = match engines.detector.as_mut() {
            Some(detector) => detector,
            None => engines
                .detector
                .insert(OrientationDetector::new(&settings.tessdata_dir)?),
        };
        let turned = detector.upright(&image, dpi)?;
        if let Some((_, turns)) = &turned {
            quarter_turns = *turns;
        }
        turned.map(|(image, _)| image)
    } else {
        None
    };
    let page = upright.as_ref().unwrap_or(&image);

    let engine = engine_for(settings, engines, counters, &options.languages)?;
    let text = engine.recognize_as(page, options, dpi, settings.page_timeout, task.output)?;
    Ok(PageText {
        text,
        dpi,
        quarter_turns,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Returns the engine for `languages`, creating it (and ending the least recently
/// used or a worn-out one) when needed.
fn engine_for<'a>(
    settings: &ThreadSettings,
    engines: &'a mut ThreadEngines,
    counters: &ThreadCounters,
    languages: &str,
) -> Result<&'a mut Engine, EngineError> {
    let list = &mut engines.engines;
    if let Some(position) = list.iter().position(|engine| engine.languages() == languages) {
        let engine = list.remove(position);
        if engine.pages() < settings.pages_per_engine {
            list.push(engine);
            return Ok(list.last_mut().expect("just pushed"));
        }
        debug!(languages, pages = engine.pages(), "recycling a tesseract engine");
        drop(engine);
        // Release the memory the ended engine held before loading its successor.
        // SAFETY: malloc_trim only returns free heap pages to the system.
        unsafe { malloc_trim(0) };
    }
    if list.len() >= ENGINES_PER_THREAD {
        list.remove(0);
    }
    let engine = Engine::new(&settings.tessdata_dir, languages)?;
    counters.engines_created.fetch_add(1, Ordering::Relaxed);
    list.push(engine);
    Ok(list.last_mut().expect("just pushed"))
}

extern "C" {
    /// glibc: returns free memory at the top of the heap and in its arenas to the system.
    fn malloc_trim(pad: usize) -> std::os::raw::c_int;
}
