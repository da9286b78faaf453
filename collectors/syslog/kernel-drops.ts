/**
 * Datagrams the kernel dropped before Vigil read them: a full UDP receive buffer is counted
 * by Linux per socket, in the `drops` column of /proc/net/udp and /proc/net/udp6
 * (net/ipv4/udp.c, udp4_format_sock). Node cannot see them otherwise, so a flood that the
 * kernel sheds would look like silence (issue 16: 88 % of a flood dropped, `/metrics` said 0).
 */
import { readFileSync } from 'node:fs';

/**
 * The rows of /proc/net/udp and /proc/net/udp6 for sockets bound to local `port`, split into
 * columns (`cols[9]` the inode, the last the drops when `hasDrops`). A file that cannot be read
 * is skipped: not Linux, or no IPv6.
 */
function* udpRowsOnPort(port: number, procNet: string): Generator<{ cols: string[]; hasDrops: boolean }> {
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const file of ['udp', 'udp6']) {
    let text: string;
    try {
      text = readFileSync(`${procNet}/${file}`, 'latin1');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    // "sl local_address rem_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode ref pointer drops":
    // tx_queue:rx_queue and tr:tm->when are one column each in the rows, so count from the end.
    const hasDrops = lines[0]?.trim().split(/\s+/).at(-1) === 'drops';
    for (const line of lines.slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length >= 13 && cols[1]!.endsWith(portHex)) yield { cols, hasDrops };
    }
  }
}

/**
 * The drops of the UDP socket with this inode (or, when the inode is unknown, of every UDP
 * socket bound to this local port), or undefined where /proc is not there (not Linux).
 */
export function udpKernelDrops(port: number, inode: string | undefined, procNet = '/proc/self/net'): number | undefined {
  let found = false;
  let drops = 0;
  for (const { cols, hasDrops } of udpRowsOnPort(port, procNet)) {
    if (!hasDrops || (inode !== undefined && cols[9] !== inode)) continue;
    const n = Number(cols.at(-1));
    if (Number.isFinite(n)) {
      found = true;
      drops += n;
    }
  }
  return found ? drops : undefined;
}

/**
 * The inode of the one UDP socket bound to this port, or undefined when none or several are
 * (then the port alone identifies what is counted). Read once, right after binding.
 */
export function udpSocketInode(port: number, procNet = '/proc/self/net'): string | undefined {
  const inodes: string[] = [];
  for (const { cols } of udpRowsOnPort(port, procNet)) inodes.push(cols[9]!);
  return inodes.length === 1 ? inodes[0] : undefined;
}
