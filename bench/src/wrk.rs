//! Fixed requests (the same headers and body every time) come from `wrk`, a separate process.

use std::process::Command;
use std::time::Duration;

pub struct WrkResult {
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
}

#[derive(Clone)]
pub struct Request<'a> {
    pub method: &'a str,
    pub url: String,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<String>,
}

pub fn run(request: &Request<'_>, connections: u32, span: Duration) -> anyhow::Result<WrkResult> {
    let script = tempfile::Builder::new().suffix(".lua").tempfile()?;
    let mut lua = format!("wrk.method = {:?}\n", request.method);
    if let Some(body) = &request.body {
        lua.push_str(&format!("wrk.body = {}\n", lua_string(body)));
    }
    for (name, value) in &request.headers {
        lua.push_str(&format!(
            "wrk.headers[{:?}] = {}\n",
            name,
            lua_string(value)
        ));
    }
    std::fs::write(script.path(), lua)?;
    let threads = connections.min(2);
    let output = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", span.as_secs().max(1)))
        .arg("--latency")
        .arg("-s")
        .arg(script.path())
        .arg(&request.url)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse(&text).ok_or_else(|| anyhow::anyhow!("could not read wrk's output:\n{text}"))
}

fn lua_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn parse(text: &str) -> Option<WrkResult> {
    let mut per_sec = None;
    let (mut p50, mut p99) = (None, None);
    let mut non_2xx = 0;
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(v)) => per_sec = v.parse().ok(),
            (Some("50%"), Some(v)) => p50 = millis(v),
            (Some("99%"), Some(v)) => p99 = millis(v),
            (Some("Non-2xx"), _) => {
                non_2xx = line.rsplit(' ').next()?.parse().ok()?;
            }
            _ => {}
        }
    }
    Some(WrkResult {
        per_sec: per_sec?,
        p50_ms: p50?,
        p99_ms: p99?,
        non_2xx,
    })
}

fn millis(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = v.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_wrk_output() {
        let text = "  Latency Distribution\n     50%  812.00us\n     75%    1.20ms\n     90%    2.00ms\n     99%    4.51ms\n  1000 requests in 5.00s\n  Non-2xx or 3xx responses: 3\nRequests/sec:  20000.50\n";
        let r = super::parse(text).unwrap();
        assert_eq!(r.per_sec, 20000.5);
        assert!((r.p50_ms - 0.812).abs() < 1e-9);
        assert_eq!(r.p99_ms, 4.51);
        assert_eq!(r.non_2xx, 3);
    }
}
