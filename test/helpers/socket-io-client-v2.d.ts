/** The little of socket.io-client 2.x (package alias socket.io-client-v2) the old-page tests use. */
declare module 'socket.io-client-v2' {
  export interface V2Socket {
    id: string;
    connected: boolean;
    io: { engine: { transport: { name: string } } };
    on(event: string, fn: (...args: any[]) => void): V2Socket;
    once(event: string, fn: (...args: any[]) => void): V2Socket;
    off(event: string, fn?: (...args: any[]) => void): V2Socket;
    emit(event: string, ...args: unknown[]): V2Socket;
    close(): V2Socket;
  }
  export interface V2Options {
    transports?: string[];
    reconnection?: boolean;
    forceNew?: boolean;
    upgrade?: boolean;
    timeout?: number;
  }
  export default function io(url: string, opts?: V2Options): V2Socket;
}
