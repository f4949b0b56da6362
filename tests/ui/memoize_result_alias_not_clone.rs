// An alias of another name is not recognised as a `Result`: its value is the
// whole `Res<u64>`, which must be `Clone`, and `io::Error` is not.
use memo::memoize;

type Res<T> = std::result::Result<T, std::io::Error>;

#[memoize]
fn load(port: u16) -> Res<u64> {
    Ok(u64::from(port))
}

fn main() {}
