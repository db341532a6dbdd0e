// Bytes between the page and Python: a chosen file's bytes stay a Uint8Array in the page
// until Python asks for them (as a list of numbers, which both runtimes turn into bytes), or
// for their base64 text (a Media object sent to the server), or for a URL to show them.

export function bytesToList(bytes) {
  return Array.from(bytes);
}

export function listToBytes(list) {
  return Uint8Array.from(list);
}

export function base64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function objectUrl(bytes, type) {
  return URL.createObjectURL(new Blob([bytes], { type: type || "application/octet-stream" }));
}

/** A FileLoader's input: once files are chosen, their bytes are read and the component's
 * element gets a "wb-files" event whose detail lists them ({name, type, size, bytes}). */
export function readChosenFiles(element, input) {
  input.addEventListener("change", async () => {
    const files = await Promise.all(
      [...input.files].map(async (file) => ({
        name: file.name,
        type: file.type || "application/octet-stream",
        size: file.size,
        bytes: new Uint8Array(await file.arrayBuffer()),
      })),
    );
    element.dispatchEvent(new CustomEvent("wb-files", { detail: files }));
  });
}
