//! A flash file: the board's NOR flash survives the process (and a reboot by exec).

use lwm2m_fota::sim::{ERASED, FlashFault, Memory, NorSim};

/// A flash backed by a file: it survives the process. A missing file starts erased.
pub type FileFlash = NorSim<FileMemory>;

/// The contents of a [`FileFlash`]: all of it in RAM for reads, every change written through.
#[derive(Debug)]
pub struct FileMemory {
    bytes: Vec<u8>,
    file: std::fs::File,
}

impl FileMemory {
    /// Opens (or creates, erased) a flash file of exactly `size` bytes.
    pub fn open(path: &std::path::Path, size: usize) -> std::io::Result<Self> {
        use std::io::{Read, Seek, SeekFrom, Write};
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let len = file.metadata()?.len();
        let bytes = if len == 0 {
            let bytes = vec![ERASED; size];
            file.write_all(&bytes)?;
            bytes
        } else if len == size as u64 {
            let mut bytes = std::vec::Vec::with_capacity(size);
            file.seek(SeekFrom::Start(0))?;
            file.read_to_end(&mut bytes)?;
            bytes
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} holds {len} bytes, but this board's flash is {size} bytes",
                    path.display()
                ),
            ));
        };
        Ok(Self { bytes, file })
    }
}

impl FileMemory {
    /// `len` bytes at `offset`, if inside the flash.
    pub fn bytes_at(&self, offset: usize, len: usize) -> Option<&[u8]> {
        self.bytes.get(offset..offset.checked_add(len)?)
    }
}

impl Memory for FileMemory {
    fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }
    fn sync(&mut self, offset: usize, len: usize) -> Result<(), FlashFault> {
        use std::io::{Seek, SeekFrom, Write};
        let data = self.bytes.get(offset..offset + len).ok_or(FlashFault::Io)?;
        self.file
            .seek(SeekFrom::Start(offset as u64))
            .and_then(|_| self.file.write_all(data))
            .map_err(|_| FlashFault::Io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};
    use lwm2m_fota::sim::SECTOR_SIZE;

    #[test]
    fn a_file_flash_survives_reopening() {
        let dir = std::env::temp_dir().join(format!("lwm2m-board-flash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("flash.bin");
        let _ = std::fs::remove_file(&path);
        {
            let mut f = NorSim::new(FileMemory::open(&path, 2 * SECTOR_SIZE).unwrap()).unwrap();
            f.write(SECTOR_SIZE as u32 + 8, b"NOR!").unwrap();
        }
        let mut f = NorSim::new(FileMemory::open(&path, 2 * SECTOR_SIZE).unwrap()).unwrap();
        let mut b = [0; 4];
        f.read(SECTOR_SIZE as u32 + 8, &mut b).unwrap();
        assert_eq!(&b, b"NOR!");
        let err = FileMemory::open(&path, SECTOR_SIZE).unwrap_err();
        assert!(err.to_string().contains("8192 bytes"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
