use memo::precompute;

struct Grid {
    width: u32,
}

impl Grid {
    #[precompute(domain = 0..10)]
    fn cell(&self, x: u32) -> u32 {
        self.width * x
    }
}

fn main() {
    let _ = Grid { width: 3 }.cell(1);
}
