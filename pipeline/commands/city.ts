/**
 * `vigil city import OSM.xml --out CITY.geojson`: an OpenStreetMap XML extract to the city
 * file `vigil start / train / eval --city` read (roads a motor vehicle drives on, with
 * `maxspeed` in m/s). Roadside units and the service area are the operator's to add.
 */
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { cityFromGeoJson, cityToGeoJson, EventError, importOsm } from '../../events/index.js';

export function register(program: Command): void {
  const city = program.command('city').description('city files: the roads, roadside units and service area the detector checks positions against');
  city
    .command('import')
    .description('convert an OpenStreetMap XML extract (.osm) into a city file (GeoJSON)')
    .argument('<OSM.xml>', 'OpenStreetMap XML (API 0.6 format, e.g. an export from openstreetmap.org or osmium)')
    .requiredOption('--out <CITY.geojson>', 'the city file to write')
    .option('--name <NAME>', 'the city\'s name, stored in the file')
    .action(async (input: string, o: { out: string; name?: string }) => {
      const started = performance.now();
      const stream = createReadStream(input, { encoding: 'utf8' });
      let result;
      try {
        result = await importOsm(stream as AsyncIterable<string>, o.name);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new EventError('CITY_INVALID', `${input} does not exist`);
        throw err;
      } finally {
        stream.destroy();
      }
      const { city: file, stats } = result;
      if (file.roads.length === 0) throw new EventError('CITY_INVALID', `${input}: no drivable roads (highway=motorway … residential, service) among ${stats.ways} ways`);
      const json = cityToGeoJson(file);
      cityFromGeoJson(json); // what is written must read back: the same checks as --city
      await writeFile(o.out, `${JSON.stringify(json)}\n`);
      const limits = file.roads.filter((r) => r.speedLimit !== undefined).length;
      process.stderr.write(
        `city import: ${stats.roads} roads (${limits} with a speed limit) from ${stats.nodes} nodes and ${stats.ways} ways to ${o.out} in ${((performance.now() - started) / 1000).toFixed(1)} s` +
          `${stats.missingNodes > 0 ? `; ${stats.missingNodes} node references outside the extract dropped` : ''}${stats.unparsedMaxspeed > 0 ? `; ${stats.unparsedMaxspeed} maxspeed values not numeric (zone codes) left out` : ''}${stats.badNodes > 0 ? `; ${stats.badNodes} nodes with bad coordinates skipped` : ''}\n`,
      );
    });
}
