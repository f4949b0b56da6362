use memo::counted;

#[counted]
enum Direction {
    Up,
    Down,
}

fn main() {
    let _ = [Direction::Up, Direction::Down];
}
