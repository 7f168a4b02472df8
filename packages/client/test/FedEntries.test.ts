import { describe, expect, it } from 'vitest'
import type { ChangeHash } from '@weft/core/backend'
import { FedEntries } from '../src/FedEntries.ts'

const MiB = 1024 * 1024
const entry = (i: number, size: number) => ({ hash: i.toString(16).padStart(64, '0'), bytes: new Uint8Array(size) })
const h = (i: number) => i.toString(16).padStart(64, '0') as ChangeHash

describe('FedEntries', () => {
  it('holds entries until taken, once', () => {
    const fed = new FedEntries()
    expect(fed.add([entry(1, 10), entry(2, 20)])).toEqual([h(1), h(2)])
    const got = fed.take([h(2), h(3)])
    expect([...got.keys()]).toEqual([h(2)])
    expect(fed.take([h(2)]).size).toBe(0)
    expect(fed.take([h(1)]).get(h(1))!.length).toBe(10)
  })

  it('holds at most 8 MiB, dropping the oldest first', () => {
    const fed = new FedEntries()
    for (let i = 0; i < 10; i++) fed.add([entry(i, MiB)])
    const held = [...fed.take(Array.from({ length: 10 }, (_, i) => h(i))).keys()]
    expect(held).toEqual(Array.from({ length: 8 }, (_, i) => h(i + 2)))
    fed.add([entry(20, 9 * MiB)]) // larger than the whole budget: announced, not held
    expect(fed.take([h(20)]).size).toBe(0)
  })
})
