-- wrk script for the capture benchmark: POST one JSON lead per request, every fifth one repeating an earlier
-- email (a duplicate that merges). Arguments: budget per thread, email tag, phone digit (1-5), done-file prefix.
-- Each thread stops after its budget, writes <prefix><thread id>, and done() prints one "BENCH_JSON {...}" line.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")
local function monotonic()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

local first_names = { "Anna", "Piet", "Sofie", "Lars", "Marta", "Jonas", "Eva", "Tomasz", "Ines", "Mikko",
                      "Claire", "Bram", "Nora", "Felix", "Lea", "Hugo", "Sanne", "Daan", "Emma", "Lukas",
                      "Julia", "Mateo", "Zofia", "Pieter", "Camille", "Oskar", "Elin", "Matteo", "Freya", "Ruben",
                      "Ilse", "Karel" }
local last_names = { "Jansen", "de Vries", "Muller", "Nowak", "Dubois", "Virtanen", "Rossi", "Hansen",
                     "Bakker", "Schmidt", "Laurent", "Novak", "Visser", "Berg", "Moreau", "Kowalski", "Smit",
                     "Meijer", "Fischer", "Weber", "Lambert", "Bianchi", "Nielsen", "Lindqvist", "Korhonen",
                     "Wojcik", "Peeters", "Maes", "Horvath", "Costa", "Ferrari", "Dekker", "Vos", "Mulder",
                     "Hoffmann", "Bauer", "Girard", "Fontaine", "Eriksson", "Johansson", "Lehmann", "Kaiser",
                     "van Dijk", "de Boer", "Janssens", "Wouters", "Silva", "Marino" }
local stems = { "Acme", "Nordwind", "Vela", "Kappa", "Orbit", "Delta", "Blue Harbour", "Stellar", "Polder",
                "Alpen", "Rijn", "Baltic", "Meridian", "Quartz", "Linde", "Falcon", "Tulip", "Atlas", "Helix",
                "Zenith" }
local forms = { "BV", "GmbH", "Systems", "Logistics", "Foods", "Werke AG", "Ltd", "Print", "Solar", "Bouw" }
local titles = { "Purchasing Manager", "CTO", "Office Manager", "Head of Marketing", "Engineer", "Buyer" }
local campaigns = { "spring-fair", "newsletter-q2", "webinar-ai", "linkedin-leadgen" }

function init(args)
  budget = tonumber(args[1])
  tag = args[2]
  phone_digit = args[3]
  done_prefix = args[4]
  key = os.getenv("LEADFLOW_BENCH_KEY") or ""
  sent, uniques, answered = 0, 0, 0
  created, merged, pending, failed = 0, 0, 0, 0
  first_error = ""
  started, finished = 0, 0
end

local function body_for(u, title)
  local first = first_names[(u % #first_names) + 1]
  local last = last_names[(math.floor(u / #first_names) % #last_names) + 1]
  local k = math.floor(u / 3)
  local company = stems[(k % #stems) + 1] .. " " .. forms[(math.floor(k / #stems) % #forms) + 1]
  local email = string.format("%s.%s-%s-t%d-%d@bench.example", string.lower(first),
                              string.lower((last:gsub(" ", ""))), tag, id, u)
  return string.format(
    '{"first_name":"%s","last_name":"%s","email":"%s","phone":"+31 6 %s%d%06d","company":"%s",' ..
    '"job_title":"%s","city":"Utrecht","country":"NL","utm_source":"linkedin","utm_medium":"paid_social",' ..
    '"utm_campaign":"%s","consents":[{"purpose":"newsletter","granted":true,"text":"Send me the newsletter"}]}',
    first, last, email, phone_digit, id, u, company, title, campaigns[(u % #campaigns) + 1])
end

function request()
  if started == 0 then started = monotonic() end
  sent = sent + 1
  local u
  if sent % 5 == 0 and uniques > 40 then
    u = uniques - 40 -- answered long ago: a plain duplicate, not a race
  else
    uniques = uniques + 1
    u = uniques
  end
  local title = titles[(sent % #titles) + 1]
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key },
                    body_for(u, title))
end

function response(status, headers, body)
  answered = answered + 1
  if status == 201 then
    created = created + 1
  elseif status == 200 then
    merged = merged + 1
  elseif status == 202 then
    pending = pending + 1
  else
    failed = failed + 1
  end
  if (status ~= 201 and status ~= 200) and first_error == "" then
    first_error = status .. " " .. string.sub(body or "", 1, 300)
  end
  if answered >= budget then
    finished = monotonic()
    local marker = io.open(done_prefix .. id, "w")
    if marker then
      marker:write(answered)
      marker:close()
    end
    wrk.thread:stop()
  end
end

local function quote(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local totals = { answered = 0, sent = 0, created = 0, merged = 0, pending = 0, failed = 0 }
  local first, last, errors = nil, nil, ""
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
    local t0, t1 = thread:get("started"), thread:get("finished")
    if t0 and t0 > 0 and (first == nil or t0 < first) then first = t0 end
    if t1 and t1 > 0 and (last == nil or t1 > last) then last = t1 end
    if errors == "" then errors = thread:get("first_error") or "" end
  end
  local complete = last ~= nil
  for _, thread in ipairs(threads) do
    if (thread:get("finished") or 0) == 0 then complete = false end
  end
  local elapsed = (complete and first) and (last - first) or summary.duration / 1e6
  local e = summary.errors
  print(string.format(
    'BENCH_JSON {"answered":%d,"sent":%d,"created":%d,"merged":%d,"pending":%d,"failed":%d,' ..
    '"complete":%s,"seconds":%.4f,"wrk_requests":%d,"wrk_duration_s":%.4f,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"wrk_status_errors":%d,' ..
    '"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f,"mean":%.3f},"first_error":%s}',
    totals.answered, totals.sent, totals.created, totals.merged, totals.pending, totals.failed,
    tostring(complete), elapsed, summary.requests, summary.duration / 1e6,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, quote(errors)))
end
