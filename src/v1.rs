//! Placeholder until the v1 reader lands.
pub fn read_v1(
    _input: &mut dyn std::io::BufRead,
    _sink: &mut dyn crate::event::EventSink,
) -> crate::Result<()> {
    Err(crate::Error::Other(
        "subunit v1 input is not supported yet".into(),
    ))
}
