import { buildPage, packAndInstall } from '../test/packaging/helpers/installedProject.ts'
import { progress, type Figure } from './report.ts'

const TARGET = 1.5
const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`

/**
 * The browser bundle a user gets: the packages are built, packed and installed from their tarballs
 * in a fresh project, and a page importing `@weft/core` + `@weft/store-idb` is built with Vite
 * (minified). The figure is JavaScript + WebAssembly, gzipped; the reference is Automerge's own
 * WebAssembly gzipped, the floor any page with Automerge pays.
 */
export async function benchBundle(): Promise<Figure> {
  progress('bundle: building, packing and installing the packages in a fresh project')
  const project = await packAndInstall()
  try {
    progress('bundle: building the page with Vite')
    const { size } = await buildPage(project)
    const total = size.jsGzipBytes + size.wasmGzipBytes
    const ratio = total / size.wasmGzipBytes
    return {
      name: 'browser bundle, min+gzip (@weft/core + @weft/store-idb, Vite)',
      value: kib(total),
      reference: `${kib(size.wasmGzipBytes)} Automerge wasm alone`,
      ratio,
      target: `<= ${TARGET.toFixed(2)}`,
      met: ratio <= TARGET,
      notes: [
        `JavaScript ${kib(size.jsBytes)} minified, ${kib(size.jsGzipBytes)} gzipped; WebAssembly ${kib(size.wasmBytes)}, ${kib(size.wasmGzipBytes)} gzipped`,
        `tarballs: ${project.tarballs.map((t) => `${t.name} ${kib(t.size)}`).join(', ')}`,
      ],
    }
  } finally {
    await project.remove()
  }
}
