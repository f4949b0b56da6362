// Only the `Ok` type of a `Result` must be `Clone`: the error names it, at
// the `T` of `Result<T, E>`.
use memo::memoize;

struct Config {
    port: u16,
}

#[memoize]
fn load(port: u16) -> std::io::Result<Config> {
    Ok(Config { port })
}

fn main() {
    let _ = load(1).map(|c| c.port);
}
