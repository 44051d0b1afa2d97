export * from './watcher.module';
export { WatcherService } from './watcher.service';
