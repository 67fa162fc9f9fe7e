mod addresses;
mod errors;
mod grammar;

const KEY: &str = "1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=";
/// An invite seed: no error message may contain any of it.
const SEED: &str = "QUFBQkJCQ0NDRERERUVFRkZGR0dHSEhISUlJSkpKSks=";
