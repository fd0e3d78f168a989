//! Rules that turn stream events into jobs, loaded from a TOML file
//! (`streams.toml` at the repository root).
//!
//! The file names the streams to read over one connection and a list of
//! `[[rule]]` tables. Each rule has a `[rule.match]` table of filters, all of
//! which must hold, and a `[rule.job]` table that describes the job to enqueue.
//! Job payloads and dedupe keys are templates over the event's fields, so a
//! new rule (another job kind, another namespace) needs no code change:
//!
//! ```toml
//! streams = ["mediawiki.recentchange"]
//!
//! [[rule]]
//! name = "text-layer-on-upload"
//! [rule.match]
//! change = ["log"]                 # required: edit, create, log, categorize, ...
//! log_type = ["upload"]
//! log_action = ["upload", "overwrite", "revert"]
//! wikis = ["commonswiki", "*wikisource", "sourceswiki"]
//! namespaces = ["file"]            # ids, or main, file, category, page, index, ...
//! title_suffixes = [".djvu", ".pdf"]
//! [rule.job]
//! kind = "text_layer"
//! priority = 0
//! dedupe_key = "text_layer:{domain}:{dbkey}"
//! [rule.job.payload]
//! wiki = "{domain}"
//! file = "{title}"
//! sha1 = "{sha1}"                  # optional value: the key is left out when absent
//! ```
//!
//! `page` and `index` name ProofreadPage's namespaces, whose ids differ per
//! wiki; they are looked up in the table shipped with `phetools-wiki`.
//! Template variables are listed in [`Var`]. The file is validated completely
//! at load and every error names the file, the rule and the field.

use std::fmt;
use std::path::Path;

use phetools_queue::NewJob;
use serde::Deserialize;
use serde_json::Value;

use crate::event::{canonical_stream_name, supported_stream_names, ChangeEvent, ChangeKind};

/// A validated rules file.
#[derive(Debug, Clone)]
pub struct Rules {
    streams: Vec<&'static str>,
    rules: Vec<Rule>,
}

/// One validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub description: Option<String>,
    streams: Option<Vec<&'static str>>,
    changes: Vec<ChangeKind>,
    log_types: Option<Vec<String>>,
    log_actions: Option<Vec<String>>,
    wikis: Option<Vec<WikiPattern>>,
    namespaces: Option<Vec<NamespaceMatch>>,
    /// Lowercase; compared with the lowercased title.
    title_suffixes: Option<Vec<String>>,
    job: JobTemplate,
}

/// A job produced by a rule for one event.
#[derive(Debug, Clone)]
pub struct RuleJob {
    /// Name of the rule that produced the job.
    pub rule: String,
    pub job: NewJob,
}

/// An invalid rules file.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid rules file {path}: {source}")]
    Syntax { path: String, source: toml::de::Error },
    #[error("invalid rules file {path}: {location}field `{field}`: {message}", location = RuleLocation(.rule))]
    Invalid {
        path: String,
        rule: Option<String>,
        field: String,
        message: String,
    },
}

struct RuleLocation<'a>(&'a Option<String>);

impl fmt::Display for RuleLocation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(rule) => write!(f, "rule {rule:?}: "),
            None => Ok(()),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    streams: Vec<String>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(rename = "match")]
    matcher: MatchSpec,
    job: JobSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchSpec {
    streams: Option<Vec<String>>,
    change: Vec<String>,
    log_type: Option<Vec<String>>,
    log_action: Option<Vec<String>>,
    wikis: Option<Vec<String>>,
    namespaces: Option<Vec<NamespaceSpec>>,
    title_suffixes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NamespaceSpec {
    Id(i64),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobSpec {
    kind: String,
    #[serde(default)]
    priority: i64,
    max_attempts: Option<i64>,
    dedupe_key: Option<String>,
    #[serde(default)]
    payload: toml::Table,
}

/// Namespaces that rules may name, besides numeric ids and ProofreadPage's
/// `page` and `index`. These ids are the same on every MediaWiki.
const NAMESPACE_NAMES: &[(&str, i32)] = &[
    ("main", 0),
    ("talk", 1),
    ("user", 2),
    ("project", 4),
    ("file", 6),
    ("mediawiki", 8),
    ("template", 10),
    ("help", 12),
    ("category", 14),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum NamespaceMatch {
    Id(i32),
    /// ProofreadPage's Page namespace of the event's wiki.
    ProofreadPage,
    /// ProofreadPage's Index namespace of the event's wiki.
    ProofreadIndex,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum WikiPattern {
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
}

impl WikiPattern {
    fn parse(pattern: &str) -> Option<WikiPattern> {
        let valid_name = |name: &str| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if pattern == "*" {
            return Some(WikiPattern::Any);
        }
        if let Some(suffix) = pattern.strip_prefix('*') {
            return valid_name(suffix).then(|| WikiPattern::Suffix(suffix.to_owned()));
        }
        if let Some(prefix) = pattern.strip_suffix('*') {
            return valid_name(prefix).then(|| WikiPattern::Prefix(prefix.to_owned()));
        }
        valid_name(pattern).then(|| WikiPattern::Exact(pattern.to_owned()))
    }

    fn matches(&self, wiki: &str) -> bool {
        match self {
            WikiPattern::Any => true,
            WikiPattern::Exact(name) => wiki == name,
            WikiPattern::Prefix(prefix) => wiki.starts_with(prefix.as_str()),
            WikiPattern::Suffix(suffix) => wiki.ends_with(suffix.as_str()),
        }
    }
}

/// Variables available in job templates, written `{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// `domain`: e.g. `en.wikisource.org`.
    Domain,
    /// `wiki`: the database name, e.g. `enwikisource`.
    Wiki,
    /// `lang`: the language of a Wikisource domain: `en` for
    /// `en.wikisource.org`, `mul` for the multilingual `wikisource.org`, and
    /// the first label of any other domain.
    Lang,
    /// `title`: the title without namespace prefix, with spaces.
    Title,
    /// `dbkey`: the title without namespace prefix, with underscores.
    Dbkey,
    /// `full_title`: the title with its namespace prefix, with spaces.
    FullTitle,
    /// `namespace`: the namespace id (a JSON number when used alone).
    Namespace,
    /// `change`: the change kind, e.g. `create`.
    Change,
    /// `stream`: e.g. `mediawiki.recentchange`.
    Stream,
    /// `event_id`: `meta.id`.
    EventId,
    /// `event_dt`: `meta.dt` in RFC 3339. Optional.
    EventDt,
    /// `rev_id`: the new revision id (a JSON number when used alone). Optional.
    RevId,
    /// `sha1`: 40-hex SHA-1 of an uploaded file. Optional.
    Sha1,
    /// `log_type`. Optional.
    LogType,
    /// `log_action`. Optional.
    LogAction,
}

const VARS: &[(&str, Var)] = &[
    ("domain", Var::Domain),
    ("wiki", Var::Wiki),
    ("lang", Var::Lang),
    ("title", Var::Title),
    ("dbkey", Var::Dbkey),
    ("full_title", Var::FullTitle),
    ("namespace", Var::Namespace),
    ("change", Var::Change),
    ("stream", Var::Stream),
    ("event_id", Var::EventId),
    ("event_dt", Var::EventDt),
    ("rev_id", Var::RevId),
    ("sha1", Var::Sha1),
    ("log_type", Var::LogType),
    ("log_action", Var::LogAction),
];

impl Var {
    /// Returns true when some events lack this value.
    fn is_optional(self) -> bool {
        matches!(
            self,
            Var::EventDt | Var::RevId | Var::Sha1 | Var::LogType | Var::LogAction
        )
    }

    fn name(self) -> &'static str {
        VARS.iter()
            .find(|(_, var)| *var == self)
            .map(|(name, _)| *name)
            .unwrap_or("?")
    }

    fn value(self, event: &ChangeEvent) -> Option<Value> {
        Some(match self {
            Var::Domain => Value::from(event.domain.as_str()),
            Var::Wiki => Value::from(event.wiki.as_str()),
            Var::Lang => Value::from(domain_language(&event.domain)),
            Var::Title => Value::from(event.title_text()),
            Var::Dbkey => Value::from(event.dbkey()),
            Var::FullTitle => Value::from(event.title.as_str()),
            Var::Namespace => Value::from(event.namespace),
            Var::Change => Value::from(event.change.to_string()),
            Var::Stream => Value::from(event.stream),
            Var::EventId => Value::from(event.id.to_string()),
            Var::EventDt => Value::from(event.dt?.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            Var::RevId => Value::from(event.rev_id?),
            Var::Sha1 => Value::from(event.file_sha1.as_deref()?),
            Var::LogType => Value::from(event.log_type.as_deref()?),
            Var::LogAction => Value::from(event.log_action.as_deref()?),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Var(Var),
}

/// The `lang` variable of `domain`.
fn domain_language(domain: &str) -> &str {
    if domain == "wikisource.org" {
        return "mul";
    }
    domain.split('.').next().unwrap_or(domain)
}

/// A string with `{variable}` placeholders; `{{` and `}}` are literal braces.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template {
    segments: Vec<Segment>,
}

impl Template {
    fn parse(text: &str) -> Result<Template, String> {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(format!("unclosed `{{` in template {text:?}")),
                        }
                    }
                    let Some((_, var)) = VARS.iter().find(|(known, _)| *known == name) else {
                        let known: Vec<&str> = VARS.iter().map(|(known, _)| *known).collect();
                        return Err(format!(
                            "unknown variable {{{name}}}; known variables: {}",
                            known.join(", ")
                        ));
                    };
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    segments.push(Segment::Var(*var));
                }
                '}' => {
                    return Err(format!(
                        "unmatched `}}` in template {text:?}; write `}}}}` for a literal brace"
                    ))
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(Template { segments })
    }

    /// Returns the variable when the template is exactly one placeholder.
    fn single_var(&self) -> Option<Var> {
        match self.segments.as_slice() {
            [Segment::Var(var)] => Some(*var),
            _ => None,
        }
    }

    fn optional_var(&self) -> Option<Var> {
        self.segments.iter().find_map(|segment| match segment {
            Segment::Var(var) if var.is_optional() => Some(*var),
            _ => None,
        })
    }

    /// Renders the template as a string. Validation at load guarantees that
    /// a template of several segments has no optional variables, so `None`
    /// only comes from a missing optional value.
    fn render_string(&self, event: &ChangeEvent) -> Option<String> {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Var(var) => match var.value(event)? {
                    Value::String(text) => out.push_str(&text),
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        Some(out)
    }

    /// Renders a payload value: a lone placeholder keeps the variable's JSON
    /// type (numbers stay numbers) and is `None` when the value is absent.
    fn render_value(&self, event: &ChangeEvent) -> Option<Value> {
        match self.single_var() {
            Some(var) => var.value(event),
            None => self.render_string(event).map(Value::String),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum PayloadTemplate {
    Object(Vec<(String, PayloadTemplate)>),
    Array(Vec<PayloadTemplate>),
    Text(Template),
    Literal(Value),
}

impl PayloadTemplate {
    fn render(&self, event: &ChangeEvent) -> Option<Value> {
        match self {
            PayloadTemplate::Object(fields) => {
                let mut object = serde_json::Map::with_capacity(fields.len());
                for (key, template) in fields {
                    // An absent optional value leaves the key out.
                    if let Some(value) = template.render(event) {
                        object.insert(key.clone(), value);
                    }
                }
                Some(Value::Object(object))
            }
            PayloadTemplate::Array(items) => Some(Value::Array(
                items
                    .iter()
                    .map(|item| item.render(event).unwrap_or(Value::Null))
                    .collect(),
            )),
            PayloadTemplate::Text(template) => template.render_value(event),
            PayloadTemplate::Literal(value) => Some(value.clone()),
        }
    }
}

#[derive(Debug, Clone)]
struct JobTemplate {
    kind: String,
    priority: i16,
    max_attempts: Option<i32>,
    dedupe_key: Option<Template>,
    payload: PayloadTemplate,
}

impl Rules {
    /// Reads and validates a rules file.
    pub fn load(path: &Path) -> Result<Rules, RulesError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: display.clone(),
            source,
        })?;
        Rules::parse(&text, &display)
    }

    /// Parses the `streams.toml` of this repository, compiled in; used by the
    /// benchmark and as a reference in tests.
    pub fn shipped() -> Result<Rules, RulesError> {
        Rules::parse(include_str!("../../../streams.toml"), "streams.toml (compiled in)")
    }

    /// Parses and validates rules from TOML text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Rules, RulesError> {
        let file: RulesFile = toml::from_str(text).map_err(|source| RulesError::Syntax {
            path: origin.to_owned(),
            source,
        })?;
        let invalid = |rule: Option<&str>, field: &str, message: String| RulesError::Invalid {
            path: origin.to_owned(),
            rule: rule.map(str::to_owned),
            field: field.to_owned(),
            message,
        };

        if file.streams.is_empty() {
            return Err(invalid(None, "streams", "at least one stream is required".to_owned()));
        }
        let mut streams = Vec::new();
        for name in &file.streams {
            let canonical = canonical_stream(name).map_err(|message| invalid(None, "streams", message))?;
            if !streams.contains(&canonical) {
                streams.push(canonical);
            }
        }

        let mut rules: Vec<Rule> = Vec::with_capacity(file.rules.len());
        for spec in file.rules {
            let rule =
                compile_rule(spec, &streams).map_err(|(rule, field, message)| invalid(Some(&rule), &field, message))?;
            if rules.iter().any(|existing| existing.name == rule.name) {
                return Err(invalid(
                    Some(&rule.name),
                    "name",
                    "another rule has the same name".to_owned(),
                ));
            }
            rules.push(rule);
        }
        Ok(Rules { streams, rules })
    }

    /// Canonical names of the streams to read, in file order.
    pub fn streams(&self) -> &[&'static str] {
        &self.streams
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Returns the jobs that the rules produce for `event`, in rule order.
    pub fn jobs_for(&self, event: &ChangeEvent) -> Vec<RuleJob> {
        self.rules
            .iter()
            .filter(|rule| rule.matches(event))
            .filter_map(|rule| {
                rule.build_job(event).map(|job| RuleJob {
                    rule: rule.name.clone(),
                    job,
                })
            })
            .collect()
    }
}

fn canonical_stream(name: &str) -> Result<&'static str, String> {
    canonical_stream_name(name).ok_or_else(|| {
        let supported: Vec<&str> = supported_stream_names().collect();
        format!("unknown stream {name:?}; supported streams: {}", supported.join(", "))
    })
}

type RuleProblem = (String, String, String);

fn compile_rule(spec: RuleSpec, subscribed: &[&'static str]) -> Result<Rule, RuleProblem> {
    let name = spec.name.trim().to_owned();
    let problem = |field: &str, message: String| (name.clone(), field.to_owned(), message);
    if name.is_empty() {
        return Err(problem("name", "must not be empty".to_owned()));
    }
    let matcher = spec.matcher;

    let streams = match matcher.streams {
        None => None,
        Some(names) => {
            let mut streams = Vec::new();
            for stream_name in &names {
                let canonical = canonical_stream(stream_name).map_err(|message| problem("match.streams", message))?;
                if !subscribed.contains(&canonical) {
                    return Err(problem(
                        "match.streams",
                        format!("stream {canonical:?} is not in the top-level `streams` list, so the rule could never match"),
                    ));
                }
                streams.push(canonical);
            }
            Some(streams)
        }
    };

    if matcher.change.is_empty() {
        return Err(problem(
            "match.change",
            format!("list at least one of: {}", ChangeKind::NAMES.join(", ")),
        ));
    }
    let mut changes = Vec::new();
    for change in &matcher.change {
        let kind = ChangeKind::from_name(change).ok_or_else(|| {
            problem(
                "match.change",
                format!(
                    "unknown change {change:?}; expected one of: {}",
                    ChangeKind::NAMES.join(", ")
                ),
            )
        })?;
        changes.push(kind);
    }

    let wikis = match matcher.wikis {
        None => None,
        Some(patterns) => {
            let mut wikis = Vec::new();
            for pattern in &patterns {
                wikis.push(WikiPattern::parse(pattern).ok_or_else(|| {
                    problem(
                        "match.wikis",
                        format!(
                            "invalid pattern {pattern:?}; expected a database name such as \"enwikisource\", \
                             optionally with one leading or trailing `*`"
                        ),
                    )
                })?);
            }
            Some(wikis)
        }
    };

    let namespaces = match matcher.namespaces {
        None => None,
        Some(specs) => {
            let mut namespaces = Vec::new();
            for spec in &specs {
                namespaces.push(compile_namespace(spec).map_err(|message| problem("match.namespaces", message))?);
            }
            Some(namespaces)
        }
    };

    let title_suffixes = matcher
        .title_suffixes
        .map(|suffixes| suffixes.iter().map(|s| s.to_lowercase()).collect());
    let job = compile_job(spec.job).map_err(|(field, message)| problem(&field, message))?;

    Ok(Rule {
        name,
        description: spec.description,
        streams,
        changes,
        log_types: matcher.log_type,
        log_actions: matcher.log_action,
        wikis,
        namespaces,
        title_suffixes,
        job,
    })
}

fn compile_namespace(spec: &NamespaceSpec) -> Result<NamespaceMatch, String> {
    match spec {
        NamespaceSpec::Id(id) => i32::try_from(*id)
            .map(NamespaceMatch::Id)
            .map_err(|_| format!("namespace id {id} is out of range")),
        NamespaceSpec::Name(name) => match name.as_str() {
            "page" => Ok(NamespaceMatch::ProofreadPage),
            "index" => Ok(NamespaceMatch::ProofreadIndex),
            other => NAMESPACE_NAMES
                .iter()
                .find(|(known, _)| *known == other)
                .map(|(_, id)| NamespaceMatch::Id(*id))
                .ok_or_else(|| {
                    let known: Vec<&str> = NAMESPACE_NAMES.iter().map(|(known, _)| *known).collect();
                    format!(
                        "unknown namespace {other:?}; use an id or one of: {}, page, index",
                        known.join(", ")
                    )
                }),
        },
    }
}

fn compile_job(spec: JobSpec) -> Result<JobTemplate, (String, String)> {
    if spec.kind.trim().is_empty() {
        return Err(("job.kind".to_owned(), "must not be empty".to_owned()));
    }
    let priority = i16::try_from(spec.priority)
        .ok()
        .filter(|priority| (-100..=100).contains(priority))
        .ok_or_else(|| {
            (
                "job.priority".to_owned(),
                format!("{} is outside -100..=100", spec.priority),
            )
        })?;
    let max_attempts = match spec.max_attempts {
        None => None,
        Some(value) => Some(
            i32::try_from(value)
                .ok()
                .filter(|attempts| *attempts >= 1)
                .ok_or_else(|| {
                    (
                        "job.max_attempts".to_owned(),
                        format!("{value} is not a positive count"),
                    )
                })?,
        ),
    };

    let dedupe_key = match &spec.dedupe_key {
        None => None,
        Some(text) => {
            let template = Template::parse(text).map_err(|message| ("job.dedupe_key".to_owned(), message))?;
            if let Some(var) = template.optional_var() {
                return Err((
                    "job.dedupe_key".to_owned(),
                    format!(
                        "{{{}}} is absent from some events and cannot be part of a dedupe key",
                        var.name()
                    ),
                ));
            }
            Some(template)
        }
    };

    let payload = compile_payload(&toml::Value::Table(spec.payload), "job.payload")?;
    Ok(JobTemplate {
        kind: spec.kind,
        priority,
        max_attempts,
        dedupe_key,
        payload,
    })
}

fn compile_payload(value: &toml::Value, field: &str) -> Result<PayloadTemplate, (String, String)> {
    Ok(match value {
        toml::Value::String(text) => {
            let template = Template::parse(text).map_err(|message| (field.to_owned(), message))?;
            if template.single_var().is_none() {
                if let Some(var) = template.optional_var() {
                    return Err((
                        field.to_owned(),
                        format!(
                            "{{{}}} is absent from some events, so it may only be used alone, as \"{{{}}}\"",
                            var.name(),
                            var.name()
                        ),
                    ));
                }
            }
            PayloadTemplate::Text(template)
        }
        toml::Value::Integer(number) => PayloadTemplate::Literal(Value::from(*number)),
        toml::Value::Float(number) => PayloadTemplate::Literal(Value::from(*number)),
        toml::Value::Boolean(flag) => PayloadTemplate::Literal(Value::from(*flag)),
        toml::Value::Datetime(datetime) => PayloadTemplate::Literal(Value::from(datetime.to_string())),
        toml::Value::Array(items) => PayloadTemplate::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| compile_payload(item, &format!("{field}[{index}]")))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(table) => PayloadTemplate::Object(
            table
                .iter()
                .map(|(key, item)| Ok((key.clone(), compile_payload(item, &format!("{field}.{key}"))?)))
                .collect::<Result<_, (String, String)>>()?,
        ),
    })
}

impl Rule {
    /// Returns true when every filter of the rule holds for `event`.
    pub fn matches(&self, event: &ChangeEvent) -> bool {
        if !self.changes.contains(&event.change) {
            return false;
        }
        if let Some(streams) = &self.streams {
            if !streams.contains(&event.stream) {
                return false;
            }
        }
        if !matches_optional(&self.log_types, event.log_type.as_deref()) {
            return false;
        }
        if !matches_optional(&self.log_actions, event.log_action.as_deref()) {
            return false;
        }
        if let Some(wikis) = &self.wikis {
            if !wikis.iter().any(|pattern| pattern.matches(&event.wiki)) {
                return false;
            }
        }
        if let Some(namespaces) = &self.namespaces {
            if !namespaces.iter().any(|namespace| namespace_matches(namespace, event)) {
                return false;
            }
        }
        if let Some(suffixes) = &self.title_suffixes {
            let title = event.title.to_lowercase();
            if !suffixes.iter().any(|suffix| title.ends_with(suffix.as_str())) {
                return false;
            }
        }
        true
    }

    /// Builds the rule's job for a matching event; `None` (logged) when the
    /// dedupe key cannot be rendered.
    fn build_job(&self, event: &ChangeEvent) -> Option<NewJob> {
        let template = &self.job;
        let payload = template.payload.render(event).unwrap_or(Value::Null);
        let mut job = NewJob::new(template.kind.clone(), payload).priority(template.priority);
        if let Some(max_attempts) = template.max_attempts {
            job = job.max_attempts(max_attempts);
        }
        if let Some(dedupe_key) = &template.dedupe_key {
            match dedupe_key.render_string(event) {
                Some(key) => job = job.dedupe_key(key),
                None => {
                    tracing::error!(rule = %self.name, event_id = %event.id, "dedupe key could not be rendered; no job");
                    return None;
                }
            }
        }
        Some(job)
    }
}

fn matches_optional(allowed: &Option<Vec<String>>, value: Option<&str>) -> bool {
    match allowed {
        None => true,
        Some(allowed) => value.is_some_and(|value| allowed.iter().any(|item| item == value)),
    }
}

fn namespace_matches(namespace: &NamespaceMatch, event: &ChangeEvent) -> bool {
    let proofread = || phetools_wiki::sites::proofread_namespaces(&event.wiki);
    match namespace {
        NamespaceMatch::Id(id) => event.namespace == *id,
        NamespaceMatch::ProofreadPage => proofread().is_some_and(|ns| ns.page == event.namespace),
        NamespaceMatch::ProofreadIndex => proofread().is_some_and(|ns| ns.index == event.namespace),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn event(change: ChangeKind, wiki: &str, domain: &str, namespace: i32, title: &str) -> ChangeEvent {
        ChangeEvent {
            id: Uuid::nil(),
            dt: None,
            stream: "mediawiki.recentchange",
            wiki: wiki.to_owned(),
            domain: domain.to_owned(),
            change,
            namespace,
            title: title.to_owned(),
            rev_id: Some(12),
            log_type: None,
            log_action: None,
            file_sha1: None,
        }
    }

    fn upload(wiki: &str, domain: &str, title: &str, action: &str) -> ChangeEvent {
        let mut event = event(ChangeKind::Log, wiki, domain, 6, title);
        event.log_type = Some("upload".to_owned());
        event.log_action = Some(action.to_owned());
        event.file_sha1 = Some("c6bafc12cb88488369fad574226e2b6d72617f8d".to_owned());
        event
    }

    fn invalid_field(text: &str) -> (Option<String>, String, String) {
        match Rules::parse(text, "test.toml") {
            Err(RulesError::Invalid {
                rule, field, message, ..
            }) => (rule, field, message),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    const MINIMAL: &str = r#"
        streams = ["recentchange"]
        [[rule]]
        name = "r"
        [rule.match]
        change = ["create"]
        [rule.job]
        kind = "k"
    "#;

    #[test]
    fn shipped_rules_are_valid() {
        let rules = Rules::shipped().unwrap();
        assert_eq!(
            rules.streams(),
            &[
                "mediawiki.recentchange",
                "mediawiki.page_change.v1",
                "mediawiki.page-properties-change",
                "mediawiki.revision-tags-change"
            ]
        );
        assert!(rules.rules().len() >= 2);
    }

    #[test]
    fn shipped_creation_rules_fire_once_per_creation() {
        let rules = Rules::shipped().unwrap();
        let mut creation = event(
            ChangeKind::Create,
            "enwikisource",
            "en.wikisource.org",
            106,
            "Index:Works 6.pdf",
        );
        assert_eq!(rules.jobs_for(&creation).len(), 2, "text layer and hOCR");
        creation.stream = "mediawiki.page_change.v1";
        assert!(
            rules.jobs_for(&creation).is_empty(),
            "page_change.v1 repeats the creation"
        );
    }

    #[test]
    fn upload_rule_builds_contract_payload() {
        let rules = Rules::shipped().unwrap();
        let jobs = rules.jobs_for(&upload(
            "commonswiki",
            "commons.wikimedia.org",
            "File:Le Tour du monde.djvu",
            "overwrite",
        ));
        assert_eq!(jobs.len(), 1);
        let job = &jobs[0].job;
        assert_eq!(job.kind, "text_layer");
        assert_eq!(job.priority, 0);
        assert_eq!(
            job.dedupe_key.as_deref(),
            Some("text_layer:commons.wikimedia.org:Le_Tour_du_monde.djvu")
        );
        assert_eq!(
            job.payload,
            serde_json::json!({
                "wiki": "commons.wikimedia.org",
                "file": "Le Tour du monde.djvu",
                "sha1": "c6bafc12cb88488369fad574226e2b6d72617f8d",
                "reason": "upload",
                "event_id": "00000000-0000-0000-0000-000000000000",
            })
        );
    }

    #[test]
    fn upload_rule_filters() {
        let rules = Rules::shipped().unwrap();
        let cases = [
            (
                upload("frwikisource", "fr.wikisource.org", "Fichier:Livre.PDF", "upload"),
                1,
            ),
            (upload("sourceswiki", "wikisource.org", "File:Book.pdf", "revert"), 1),
            (
                upload("commonswiki", "commons.wikimedia.org", "File:Photo.jpg", "upload"),
                0,
            ),
            (upload("enwiki", "en.wikipedia.org", "File:Book.pdf", "upload"), 0),
            (
                upload(
                    "commonswiki",
                    "commons.wikimedia.org",
                    "File:Book.pdf",
                    "overwrite-bogus",
                ),
                0,
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(
                text_layer_jobs(&rules, &event).len(),
                expected,
                "{} {:?}",
                event.title,
                event.log_action
            );
        }
    }

    fn text_layer_jobs(rules: &Rules, event: &ChangeEvent) -> Vec<RuleJob> {
        rules
            .jobs_for(event)
            .into_iter()
            .filter(|job| job.job.kind == "text_layer")
            .collect()
    }

    #[test]
    fn hocr_rules_build_on_index_creation_and_local_reupload() {
        let rules = Rules::shipped().unwrap();
        let index = event(
            ChangeKind::Create,
            "bnwikisource",
            "bn.wikisource.org",
            102,
            "Index:Bangla boi.pdf",
        );
        let hocr: Vec<RuleJob> = rules
            .jobs_for(&index)
            .into_iter()
            .filter(|job| job.job.kind == "hocr")
            .collect();
        assert_eq!(hocr.len(), 1);
        assert_eq!(
            hocr[0].job.dedupe_key.as_deref(),
            Some("hocr:bn.wikisource.org:Bangla_boi.pdf:bn")
        );
        assert_eq!(hocr[0].job.payload["lang"], "bn");
        assert_eq!(hocr[0].job.payload["file"], "Bangla boi.pdf");

        let kinds = |event: &ChangeEvent| -> Vec<String> {
            let mut kinds: Vec<String> = rules.jobs_for(event).into_iter().map(|job| job.job.kind).collect();
            kinds.sort();
            kinds
        };
        let local = upload("sourceswiki", "wikisource.org", "File:Book.pdf", "overwrite");
        assert_eq!(kinds(&local), ["hocr", "text_layer"]);
        let first_upload = upload("enwikisource", "en.wikisource.org", "File:Book.pdf", "upload");
        assert_eq!(kinds(&first_upload), ["text_layer"]);
        let commons = upload("commonswiki", "commons.wikimedia.org", "File:Book.pdf", "overwrite");
        assert_eq!(kinds(&commons), ["text_layer"]);
    }

    #[test]
    fn index_rule_uses_per_wiki_namespace() {
        let rules = Rules::shipped().unwrap();
        let en = event(
            ChangeKind::Create,
            "enwikisource",
            "en.wikisource.org",
            106,
            "Index:Works 6.pdf",
        );
        let jobs = text_layer_jobs(&rules, &en);
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            jobs[0].job.payload,
            serde_json::json!({
                "wiki": "en.wikisource.org",
                "file": "Works 6.pdf",
                "reason": "index-created",
                "event_id": "00000000-0000-0000-0000-000000000000",
            })
        );

        // 106 is not the Index namespace on de.wikisource (104 is).
        let de_wrong = event(
            ChangeKind::Create,
            "dewikisource",
            "de.wikisource.org",
            106,
            "X:Buch.djvu",
        );
        assert!(text_layer_jobs(&rules, &de_wrong).is_empty());

        let de = event(
            ChangeKind::Create,
            "dewikisource",
            "de.wikisource.org",
            104,
            "Index:Buch.djvu",
        );
        assert_eq!(text_layer_jobs(&rules, &de).len(), 1);

        let edit = event(
            ChangeKind::Edit,
            "enwikisource",
            "en.wikisource.org",
            106,
            "Index:Works 6.pdf",
        );
        assert!(rules.jobs_for(&edit).is_empty());

        let page = event(
            ChangeKind::Create,
            "enwikisource",
            "en.wikisource.org",
            104,
            "Page:Works 6.pdf/3",
        );
        assert!(rules.jobs_for(&page).is_empty());
    }

    #[test]
    fn lone_numeric_variable_stays_number() {
        let text = MINIMAL.replace("kind = \"k\"", "kind = \"k\"\npayload = { rev = \"{rev_id}\", ns = \"{namespace}\", label = \"ns {namespace}\", n = 3, tags = [\"{wiki}\"] }");
        let rules = Rules::parse(&text, "test.toml").unwrap();
        let jobs = rules.jobs_for(&event(ChangeKind::Create, "enwikisource", "en.wikisource.org", 0, "A"));
        assert_eq!(
            jobs[0].job.payload,
            serde_json::json!({"rev": 12, "ns": 0, "label": "ns 0", "n": 3, "tags": ["enwikisource"]})
        );
    }

    #[test]
    fn rejects_unknown_stream() {
        let (rule, field, message) = invalid_field(&MINIMAL.replace("[\"recentchange\"]", "[\"recentchanges\"]"));
        assert_eq!(rule, None);
        assert_eq!(field, "streams");
        assert!(message.contains("unknown stream \"recentchanges\""), "{message}");
    }

    #[test]
    fn rejects_unknown_change() {
        let (rule, field, message) = invalid_field(&MINIMAL.replace("[\"create\"]", "[\"new\"]"));
        assert_eq!(rule.as_deref(), Some("r"));
        assert_eq!(field, "match.change");
        assert!(message.starts_with("unknown change \"new\""), "{message}");
    }

    #[test]
    fn rejects_unknown_namespace_name() {
        let text = MINIMAL.replace(
            "change = [\"create\"]",
            "change = [\"create\"]\nnamespaces = [\"fiel\"]",
        );
        let (_, field, message) = invalid_field(&text);
        assert_eq!(field, "match.namespaces");
        assert!(message.contains("unknown namespace \"fiel\""), "{message}");
    }

    #[test]
    fn rejects_unknown_template_variable() {
        let text = MINIMAL.replace("kind = \"k\"", "kind = \"k\"\ndedupe_key = \"k:{domian}\"");
        let (_, field, message) = invalid_field(&text);
        assert_eq!(field, "job.dedupe_key");
        assert!(message.starts_with("unknown variable {domian}"), "{message}");
    }

    #[test]
    fn rejects_optional_variable_inside_text() {
        let text = MINIMAL.replace("kind = \"k\"", "kind = \"k\"\npayload = { x = \"sha1={sha1}\" }");
        let (_, field, message) = invalid_field(&text);
        assert_eq!(field, "job.payload.x");
        assert!(message.contains("{sha1} is absent from some events"), "{message}");
    }

    #[test]
    fn rejects_optional_variable_in_dedupe_key() {
        let text = MINIMAL.replace("kind = \"k\"", "kind = \"k\"\ndedupe_key = \"{rev_id}\"");
        let (_, field, _) = invalid_field(&text);
        assert_eq!(field, "job.dedupe_key");
    }

    #[test]
    fn rejects_priority_out_of_range() {
        let (_, field, message) = invalid_field(&MINIMAL.replace("kind = \"k\"", "kind = \"k\"\npriority = 500"));
        assert_eq!(field, "job.priority");
        assert_eq!(message, "500 is outside -100..=100");
    }

    #[test]
    fn rejects_rule_stream_not_subscribed() {
        let text = MINIMAL.replace(
            "change = [\"create\"]",
            "change = [\"create\"]\nstreams = [\"page-create\"]",
        );
        let (_, field, _) = invalid_field(&text);
        assert_eq!(field, "match.streams");
    }

    #[test]
    fn rejects_duplicate_rule_names() {
        let text =
            format!("{MINIMAL}\n[[rule]]\nname = \"r\"\n[rule.match]\nchange = [\"edit\"]\n[rule.job]\nkind = \"k\"\n");
        let (rule, field, _) = invalid_field(&text);
        assert_eq!(rule.as_deref(), Some("r"));
        assert_eq!(field, "name");
    }

    #[test]
    fn rejects_bad_wiki_pattern() {
        let text = MINIMAL.replace("change = [\"create\"]", "change = [\"create\"]\nwikis = [\"*wiki*\"]");
        let (_, field, _) = invalid_field(&text);
        assert_eq!(field, "match.wikis");
    }

    #[test]
    fn typo_in_field_name_is_a_syntax_error() {
        let text = MINIMAL.replace("change = [\"create\"]", "change = [\"create\"]\nnamespace = [6]");
        let error = Rules::parse(&text, "test.toml").unwrap_err();
        assert!(matches!(error, RulesError::Syntax { .. }));
        let message = error.to_string();
        assert!(message.starts_with("invalid rules file test.toml:"), "{message}");
        assert!(message.contains("unknown field `namespace`"), "{message}");
    }

    #[test]
    fn error_message_names_file_rule_and_field() {
        let error = Rules::parse(&MINIMAL.replace("[\"create\"]", "[\"new\"]"), "streams.toml").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid rules file streams.toml: rule \"r\": field `match.change`: unknown change \"new\"; \
             expected one of: edit, create, log, categorize, external, delete, undelete, move, visibility_change"
        );
    }
}
