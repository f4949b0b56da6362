use memo::memoize;

#[memoize]
fn area((width, height): (u32, u32)) -> u32 {
    width * height
}

fn main() {}
