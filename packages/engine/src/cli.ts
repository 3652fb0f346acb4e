#!/usr/bin/env node
import { launch } from './launch.js';

await launch(new URL('./trace-command.js', import.meta.url));
