use memo::memoize;

#[memoize]
fn log(line: String) {
    println!("{line}");
}

fn main() {}
