interface TimeoutGroup<K> {
  readonly timeoutMs: number
  readonly keys: K[]
  timer: NodeJS.Timeout | undefined
}

/**
 * The timeouts of calls that start together (the sections of one request): one timer per
 * distinct timeout, shared by every call that has it, instead of one per call. A call that
 * settles leaves its group; the group's timer is cleared when its last call has left, and
 * when it fires, every call still in the group times out.
 */
export class SectionTimers<K> {
  private readonly groups: Array<TimeoutGroup<K>> = []

  constructor(private readonly onTimeout: (key: K, timeoutMs: number) => void) {}

  add(key: K, timeoutMs: number): void {
    const existing = this.groups.find((group) => group.timeoutMs === timeoutMs)
    if (existing !== undefined) {
      existing.keys.push(key)
      return
    }
    const group: TimeoutGroup<K> = { timeoutMs, keys: [key], timer: undefined }
    group.timer = setTimeout(() => this.fire(group), timeoutMs)
    this.groups.push(group)
  }

  /** The call has its outcome: its timeout no longer matters. */
  settled(key: K): void {
    for (const group of this.groups) {
      const at = group.keys.indexOf(key)
      if (at === -1) continue
      group.keys.splice(at, 1)
      if (group.keys.length === 0) clearTimeout(group.timer)
      return
    }
  }

  clear(): void {
    for (const group of this.groups) clearTimeout(group.timer)
  }

  private fire(group: TimeoutGroup<K>): void {
    group.timer = undefined
    // onTimeout settles the call, which takes it out of the group: walk a copy.
    for (const key of group.keys.slice()) this.onTimeout(key, group.timeoutMs)
  }
}
