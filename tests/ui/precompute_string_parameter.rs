use memo::precompute;

#[precompute(domain = 0..10)]
fn shout(word: String) -> String {
    word.to_uppercase()
}

fn main() {}
